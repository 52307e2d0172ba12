"""Language negotiation and the zh-CN / English texts of error codes."""

from __future__ import annotations

from typing import Any

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


def error_text(code: ErrorCode, english: str, language: str, details: dict[str, Any]) -> str:
    if language != "zh-CN":
        return english
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
