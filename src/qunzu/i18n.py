"""Language negotiation and the zh-CN / English texts of error codes."""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from qunzu.errors import ErrorCode

LANGUAGES = ("zh-CN", "en")

ERROR_TEXTS_ZH: dict[ErrorCode, str] = {
    ErrorCode.VALIDATION_FAILED: "请求内容不正确",
    ErrorCode.NOT_FOUND: "未找到",
    ErrorCode.METHOD_NOT_ALLOWED: "不支持该请求方法",
    ErrorCode.RATE_LIMITED: "操作过于频繁，请稍后再试",
    ErrorCode.INTERNAL: "服务器内部错误",
    ErrorCode.UNAVAILABLE: "服务暂时不可用",
    ErrorCode.CSRF_FAILED: "页面已过期，请刷新后重试",
    ErrorCode.PAYLOAD_TOO_LARGE: "请求内容过大",
    ErrorCode.AUTH_REQUIRED: "请先登录",
    ErrorCode.INVALID_CREDENTIALS: "用户名或密码错误",
    ErrorCode.USERNAME_TAKEN: "该用户名已被使用",
    ErrorCode.WEAK_PASSWORD: "密码过于简单（至少 {min_length} 个字符）",
    ErrorCode.ACCOUNT_INFO_REJECTED: "账号信息不符合要求",
    ErrorCode.FORBIDDEN: "无权执行此操作",
    ErrorCode.GROUP_NOT_FOUND: "没有该编码的群组",
    ErrorCode.GROUP_CLOSED: "该群已关闭",
    ErrorCode.INVALID_GROUP_CODE: "群组编码有误（10 位数字，末位为校验位）",
    ErrorCode.UNKNOWN_CATEGORY: "未知的群组类别",
    ErrorCode.GROUP_FULL: "该群人数已满（上限 {member_cap} 人）",
    ErrorCode.ALREADY_MEMBER: "你已经是该群成员",
    ErrorCode.NOT_MEMBER: "只有群成员可以进行此操作",
    ErrorCode.MEMBER_NOT_FOUND: "该用户不是本群成员",
    ErrorCode.FORBIDDEN_ROLE: "你的群内身份无权进行此操作",
    ErrorCode.OWNER_MUST_TRANSFER: "群主须先转让群组才能退出",
    ErrorCode.MESSAGE_NOT_FOUND: "消息不存在",
    ErrorCode.MESSAGE_TOO_LONG: "消息过长（最多 {max_length} 个字符）",
    ErrorCode.MESSAGE_EMPTY: "消息不能为空",
    ErrorCode.CLIENT_MSG_ID_CONFLICT: "该客户端消息编号已用于另一条消息",
    ErrorCode.CONTENT_REJECTED: "内容违反平台规则，未能发布",
    ErrorCode.ALREADY_DECIDED: "该事项已经处理过",
    ErrorCode.IDENTITY_UNVERIFIED: "请先完成实名认证（手机号验证）",
    ErrorCode.VERIFICATION_LEVEL_REQUIRED: "需要更高的实名认证等级",
    ErrorCode.INVALID_ID_NUMBER: "身份证号码有误",
    ErrorCode.INVALID_PHONE: "请填写中国大陆手机号码（11 位，以 1 开头）",
    ErrorCode.CODE_INVALID: "验证码不正确",
    ErrorCode.CODE_EXPIRED: "验证码已过期，请重新获取",
    ErrorCode.CODE_LOCKED: "验证码错误次数过多，请重新获取",
    ErrorCode.RESEND_TOO_SOON: "请 {retry_after} 秒后再获取验证码",
    ErrorCode.IDENTITY_ACCOUNT_LIMIT: "该身份已认证 {cap} 个账号，已达上限",
    ErrorCode.IDENTITY_MISMATCH: "姓名与身份证号码不一致",
    ErrorCode.VERIFIER_UNAVAILABLE: "实名认证服务暂时不可用，请稍后再试",
    ErrorCode.VERIFICATION_PENDING: "你的认证材料正在人工审核中",
    ErrorCode.AGREEMENT_REQUIRED: "请先阅读并同意最新版《用户服务协议》",
    ErrorCode.DOCUMENT_NOT_FOUND: "没有该文件或版本",
    ErrorCode.PURPOSE_REQUIRED: "请填写查看目的（至少 10 个字）和案件编号",
    ErrorCode.OWNERSHIP_BLOCKS_CANCELLATION: "请先转让你创建的群组，再注销账号",
}


def pick_language(accept_language: str | None, default: str = "zh-CN") -> str:
    """The best of our languages for an Accept-Language header (q-values honoured)."""
    if not accept_language:
        return default
    best: tuple[float, str] | None = None
    for part in accept_language.split(","):
        bits = part.strip().split(";")
        tag = bits[0].strip().lower()
        q = 1.0
        for b in bits[1:]:
            if b.strip().startswith("q="):
                try:
                    q = float(b.strip()[2:])
                except ValueError:
                    q = 0.0
        lang = "zh-CN" if tag.startswith("zh") else "en" if tag.startswith("en") else None
        if lang and (best is None or q > best[0]):
            best = (q, lang)
    return best[1] if best else default


# validation_failed with details.reason from the text rules (qunzu.domain.text, the real name rule)
TEXT_REASONS_ZH: dict[str, str] = {
    "control_character": "{field}含有不允许的控制字符（{character}）",
    "surrogate": "{field}含有无效的 Unicode 字符（{character}）",
    "noncharacter": "{field}含有不允许的 Unicode 非字符（{character}）",
    "line_break": "{field}只能填写一行，不能含有换行或制表符",
    "empty": "{field}不能为空，也不能只有空白或不可见字符",
    "real_name": "请填写身份证上的姓名：2–30 个汉字，少数民族姓名各部分之间用间隔号“·”分隔",
}
FIELD_LABELS_ZH: dict[str, str] = {
    "text": "消息内容",
    "name": "名称",
    "description": "群组简介",
    "announcement": "群公告",
    "nickname": "昵称",
    "username": "用户名",
    "password": "密码",
    "purpose": "查看目的",
    "case_number": "案件编号",
    "reason": "原因",
    "term": "词条",
    "exceptions": "例外短语",
    "note": "备注",
    "q": "搜索内容",
    "content": "词库内容",
}


def error_text(code: ErrorCode, english: str, language: str, details: dict[str, Any]) -> str:
    if language != "zh-CN":
        return english
    reason = details.get("reason")
    if code is ErrorCode.VALIDATION_FAILED and isinstance(reason, str) and reason in TEXT_REASONS_ZH:
        with contextlib.suppress(KeyError, IndexError, ValueError):
            field = details.get("field")
            label = FIELD_LABELS_ZH.get(field, f"“{field}”") if isinstance(field, str) and field else "内容"
            return TEXT_REASONS_ZH[reason].format(**(details | {"field": label}))
    wait = details.get("retry_after_ms")
    if code is ErrorCode.RATE_LIMITED and isinstance(wait, int):
        return f"尝试次数过多，请在 {wait_text(wait, language)}后再试"
    hint = details.get("hint")
    if code is ErrorCode.WEAK_PASSWORD and isinstance(hint, str):
        return "密码太容易被猜到：" + password_hint(hint, language)
    template = ERROR_TEXTS_ZH.get(code)
    if template is None:
        return english
    try:
        return template.format(**details)
    except (KeyError, IndexError, ValueError):
        return template.split("（")[0]


CATEGORY_LABELS: dict[str, dict[str, str]] = {
    "family": {"zh-CN": "亲友", "en": "Family & friends"},
    "work": {"zh-CN": "工作", "en": "Work"},
    "study": {"zh-CN": "学习", "en": "Study"},
    "interest": {"zh-CN": "兴趣", "en": "Interests"},
    "business": {"zh-CN": "商业/营销", "en": "Business & marketing"},
    "charity": {"zh-CN": "公益", "en": "Charity"},
    "news": {"zh-CN": "新闻资讯", "en": "News"},
    "finance": {"zh-CN": "金融理财", "en": "Finance"},
    "health": {"zh-CN": "医疗健康", "en": "Health & medicine"},
    "education": {"zh-CN": "教育培训", "en": "Education & training"},
    "other": {"zh-CN": "其他", "en": "Other"},
}


def category_label(category: str, language: str) -> str:
    labels = CATEGORY_LABELS.get(category)
    if labels is None:
        return category
    return labels.get(language, labels["en"])


def wait_text(ms: int, language: str) -> str:
    """A wait as people say it, rounded up: "45 s", "5 min", "2 h" / "45 秒", "5 分钟", "2 小时"."""
    seconds = max(1, -(-ms // 1000))
    zh = language == "zh-CN"
    if seconds < 120:
        return f"{seconds} 秒" if zh else f"{seconds} s"
    minutes = -(-seconds // 60)
    if minutes < 120:
        return f"{minutes} 分钟" if zh else f"{minutes} min"
    hours = -(-minutes // 60)
    return f"{hours} 小时" if zh else f"{hours} h"


# zxcvbn's feedback (English, in details.hint of weak_password) in zh-CN
PASSWORD_HINTS_ZH: dict[str, str] = {
    "This is a top-10 common password.": "这是最常见的 10 个密码之一。",
    "This is a top-100 common password.": "这是最常见的 100 个密码之一。",
    "This is a very common password.": "这是一个非常常见的密码。",
    "This is similar to a commonly used password.": "这与一个常用密码很相似。",
    "A word by itself is easy to guess.": "单独一个单词很容易被猜到。",
    "Names and surnames by themselves are easy to guess.": "单独的姓名很容易被猜到。",
    "Common names and surnames are easy to guess.": "常见的姓名很容易被猜到。",
    "Straight rows of keys are easy to guess.": "键盘上连成一排的按键很容易被猜到。",
    "Short keyboard patterns are easy to guess.": "简短的键盘图案很容易被猜到。",
    "Use a longer keyboard pattern with more turns.": "请使用更长、转折更多的键盘图案。",
    'Repeats like "aaa" are easy to guess.': "“aaa”这样的重复很容易被猜到。",
    'Repeats like "abcabcabc" are only slightly harder to guess than "abc".': (
        "“abcabcabc”这样的重复并不比“abc”难猜多少。"
    ),
    "Avoid repeated words and characters.": "避免重复的单词和字符。",
    'Sequences like "abc" or "6543" are easy to guess.': "“abc”或“6543”这样的序列很容易被猜到。",
    "Avoid sequences.": "避免使用序列。",
    "Recent years are easy to guess.": "近几年的年份很容易被猜到。",
    "Avoid recent years.": "避免使用近几年的年份。",
    "Avoid years that are associated with you.": "避免使用与你相关的年份。",
    "Dates are often easy to guess.": "日期通常很容易被猜到。",
    "Avoid dates and years that are associated with you.": "避免使用与你相关的日期和年份。",
    "Add another word or two. Uncommon words are better.": "再加一两个词，不常见的词更好。",
    "Use a few words, avoid common phrases.": "使用几个词组合，避免常见短语。",
    "No need for symbols, digits, or uppercase letters.": "不一定需要符号、数字或大写字母。",
    "Capitalization doesn't help very much.": "首字母大写帮助不大。",
    "All-uppercase is almost as easy to guess as all-lowercase.": "全部大写几乎和全部小写一样容易被猜到。",
    "Reversed words aren't much harder to guess.": "把单词倒过来写并不会难猜多少。",
    "Predictable substitutions like '@' instead of 'a' don't help very much.": "用“@”代替“a”这类可预料的替换帮助不大。",
    "It contains your username or nickname.": "密码包含了你的用户名或昵称。",
}


def password_hint(hint: str, language: str) -> str:
    """zxcvbn's English feedback in the page's language (unknown feedback: a general hint)."""
    if language != "zh-CN":
        return hint
    return PASSWORD_HINTS_ZH.get(hint, "请使用更长、更不常见的密码，避免常见单词和规律。")


def _china_time(at: datetime) -> str:
    return at.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")


def lockout_sms_text(*, failures: int, ip: str, at: datetime, until: datetime) -> str:
    """The SMS to a locked account's verified mobile number (mainland numbers only: in zh-CN)."""
    return (
        f"【群组】你的账号于 {_china_time(at)} 连续 {failures} 次登录失败（来源 IP {ip}），"
        f"已暂时锁定至 {_china_time(until)}。如非本人操作，请注意账号安全。"
    )


def notice_text(kind: str, details: dict[str, Any], language: str) -> str:
    """An account notice as its owner reads it (times in China Standard Time, UTC+8)."""
    if kind != "account_locked":
        return kind
    try:
        until = _china_time(datetime.fromisoformat(str(details["locked_until"])))
        failures, ip = int(details["failures"]), str(details["ip"])
    except (KeyError, ValueError, TypeError):
        return "账号曾被临时锁定" if language == "zh-CN" else "Your account was locked for a while"
    if language == "zh-CN":
        return (
            f"因连续 {failures} 次登录失败（来源 IP {ip}），你的账号已暂时锁定至 {until}（北京时间）。"
            "如非本人操作，请注意账号安全。"
        )
    return (
        f"After {failures} failed sign-in attempts in a row (from IP {ip}), your account was locked until {until} "
        "(UTC+8). If this was not you, someone may be guessing your password."
    )
