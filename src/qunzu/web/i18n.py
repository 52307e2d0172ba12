"""The web UI's texts in zh-CN and English, and the form-error wording shown next to a field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from qunzu.errors import ErrorCode, QunzuError
from qunzu.i18n import TEXT_REASONS_ZH, error_text
from qunzu.web import i18n_groups, i18n_identity, i18n_review

TEXTS: dict[str, dict[str, str]] = {
    "zh-CN": {
        "app_name": "群组",
        "skip_to_content": "跳到正文",
        "nav.main": "主导航",
        "nav.my_groups": "我的群组",
        "nav.new_group": "创建群组",
        "nav.sign_in": "登录",
        "nav.sign_up": "注册",
        "nav.sign_out": "退出登录",
        "nav.language": "语言",
        "welcome.title": "欢迎来到群组",
        "welcome.headline": "和你的同事、同学、亲友，在一个地方安心交流",
        "welcome.lead": "创建群组、用群组编码邀请成员，消息实时送达。群主与管理员共同维护群内秩序。",
        "welcome.start": "免费注册",
        "welcome.have_account": "已有账号？登录",
        "welcome.f1.title": "实时消息",
        "welcome.f1.text": "消息即时送达，断线重连后自动补齐，不丢不重。",
        "welcome.f2.title": "唯一群组编码",
        "welcome.f2.text": "每个群都有 10 位编码，末位为校验位，输错一位也能及时发现。",
        "welcome.f3.title": "清晰的群内身份",
        "welcome.f3.text": "群主、管理员、成员各司其职，身份标识处处可见。",
        "signup.title": "注册账号",
        "signup.lead": "只需一分钟，开始使用群组。",
        "signup.username": "用户名",
        "signup.username_hint": "3–32 个字符：字母、数字或 _ . -，用于登录",
        "signup.password": "密码",
        "signup.password_hint": "至少 {min} 个字符；避免常见单词和规律",
        "signup.nickname": "昵称",
        "signup.nickname_hint": "群内其他人看到的名字，最多 20 个字",
        "signup.submit": "注册",
        "signup.have_account": "已有账号？",
        "signup.accept": "我已阅读并同意",
        "signup.and": "和",
        "signup.done": "注册成功，请登录。",
        "login.title": "登录",
        "login.lead": "欢迎回来。",
        "login.submit": "登录",
        "login.no_account": "还没有账号？",
        "groups.title": "我的群组",
        "groups.lead": "你加入的所有群组。",
        "groups.empty.title": "你还没有加入任何群组",
        "groups.empty.text": "创建一个新群组，或输入朋友分享的群组编码加入。",
        "groups.members": "{n} 人",
        "groups.code": "群组编码",
        "groups.open": "进入",
        "join.title": "通过编码加入",
        "join.label": "群组编码",
        "join.hint": "10 位数字，可含空格",
        "join.placeholder": "例如 123 456 7890",
        "join.submit": "加入群组",
        "create.cta": "创建群组",
        "create.title": "创建群组",
        "create.lead": "创建后你将成为群主，并获得一个唯一的群组编码。",
        "create.name": "群组名称",
        "create.name_hint": "最多 {max} 个字",
        "create.category": "类别",
        "create.description": "群组简介",
        "create.description_hint": "选填，最多 {max} 个字",
        "create.submit": "创建",
        "create.cancel": "取消",
        "chat.code": "群组编码",
        "chat.copy": "复制",
        "chat.copied": "已复制",
        "chat.copy_failed": "复制失败，请手动选择",
        "chat.members": "成员",
        "chat.member_count": "{n} 人",
        "chat.messages": "消息",
        "chat.load_older": "加载更早的消息",
        "chat.loading": "加载中…",
        "chat.beginning": "这是群组的第一条消息",
        "chat.empty": "还没有消息，来说第一句话吧。",
        "chat.composer_label": "输入消息",
        "chat.composer_placeholder": "输入消息…",
        "chat.composer_hint": "Enter 发送，Shift+Enter 换行",
        "chat.send": "发送",
        "chat.sending": "发送中…",
        "chat.failed": "发送失败",
        "chat.retry": "重试",
        "chat.deleted": "此消息已被删除",
        "chat.delete": "删除",
        "chat.delete_confirm": "删除这条消息？群成员将看不到它。",
        "chat.you": "我",
        "chat.status.connecting": "连接中…",
        "chat.status.live": "实时",
        "chat.status.reconnecting": "重新连接中…",
        "chat.status.offline": "已离线",
        "chat.session_expired": "登录已过期，请重新登录。",
        "chat.network_error": "网络连接失败，请检查网络后重试。",
        "chat.too_long": "消息过长（最多 {max} 个字）",
        "members.title": "成员",
        "members.lead": "群主排在最前，其次是管理员。",
        "members.back": "返回聊天",
        "members.count": "共 {n} 人",
        "members.you": "（我）",
        "members.appoint": "设为管理员",
        "members.unappoint": "取消管理员",
        "members.transfer": "转让群主",
        "members.transfer_confirm": "把群主身份转让给 {name}？转让后你将成为普通成员。",
        "members.leave": "退出群组",
        "members.leave_confirm": "确定退出该群组？",
        "members.owner_hint": "群主须先把群主身份转让给其他成员才能退出。",
        "members.actions_for": "{name} 的操作",
        "notmember.title": "你还不是该群成员",
        "notmember.text": "加入后即可查看消息和成员。",
        "notmember.join": "加入群组",
        "notfound.title": "页面不存在",
        "notfound.text": "你要找的页面不存在，或者已被移除。",
        "notfound.group": "没有找到该群组。请确认群组编码是否正确。",
        "notfound.home": "返回首页",
        "error.title": "出错了",
        "unavailable.title": "服务暂时不可用",
        "unavailable.text": "服务器暂时无法访问数据，你的登录状态和已发送的内容都不受影响。请稍后重试。",
        "unavailable.retry": "重试",
        "doc.version": "版本 {version}",
        "doc.effective": "生效日期 {date}",
        "lang.zh": "中文",
        "lang.en": "English",
    },
    "en": {
        "app_name": "Qunzu",
        "skip_to_content": "Skip to content",
        "nav.main": "Main",
        "nav.my_groups": "My groups",
        "nav.new_group": "New group",
        "nav.sign_in": "Sign in",
        "nav.sign_up": "Sign up",
        "nav.sign_out": "Sign out",
        "nav.language": "Language",
        "welcome.title": "Welcome to Qunzu",
        "welcome.headline": "One calm place to talk with your team, classmates, family and friends",
        "welcome.lead": "Create a group, invite people with its group code, and see messages arrive in real "
        "time. Owners and managers keep the conversation in good shape.",
        "welcome.start": "Sign up free",
        "welcome.have_account": "Have an account? Sign in",
        "welcome.f1.title": "Real-time messages",
        "welcome.f1.text": "Messages arrive instantly; after a reconnect, what you missed fills in — "
        "nothing lost, nothing twice.",
        "welcome.f2.title": "A unique group code",
        "welcome.f2.text": "Every group has a 10-digit code with a check digit, so a mistyped code is caught at once.",
        "welcome.f3.title": "Clear roles",
        "welcome.f3.text": "Owner, managers and members — everyone's role is shown wherever members are listed.",
        "signup.title": "Create your account",
        "signup.lead": "It takes a minute.",
        "signup.username": "Username",
        "signup.username_hint": "3–32 characters: letters, digits, _ . - ; used to sign in",
        "signup.password": "Password",
        "signup.password_hint": "At least {min} characters; avoid common words and patterns",
        "signup.nickname": "Nickname",
        "signup.nickname_hint": "The name others see in groups, up to 20 characters",
        "signup.submit": "Sign up",
        "signup.have_account": "Already have an account?",
        "signup.accept": "I have read and accept the",
        "signup.and": "and the",
        "signup.done": "Your account is ready. Please sign in.",
        "login.title": "Sign in",
        "login.lead": "Welcome back.",
        "login.submit": "Sign in",
        "login.no_account": "No account yet?",
        "groups.title": "My groups",
        "groups.lead": "Every group you belong to.",
        "groups.empty.title": "You have not joined any group yet",
        "groups.empty.text": "Create a group, or enter a group code a friend shared with you.",
        "groups.members": "{n} members",
        "groups.code": "Group code",
        "groups.open": "Open",
        "join.title": "Join with a code",
        "join.label": "Group code",
        "join.hint": "10 digits; spaces are fine",
        "join.placeholder": "e.g. 123 456 7890",
        "join.submit": "Join group",
        "create.cta": "New group",
        "create.title": "Create a group",
        "create.lead": "You become its owner, and it gets a unique group code.",
        "create.name": "Group name",
        "create.name_hint": "Up to {max} characters",
        "create.category": "Category",
        "create.description": "Description",
        "create.description_hint": "Optional, up to {max} characters",
        "create.submit": "Create group",
        "create.cancel": "Cancel",
        "chat.code": "Group code",
        "chat.copy": "Copy",
        "chat.copied": "Copied",
        "chat.copy_failed": "Could not copy; select it by hand",
        "chat.members": "Members",
        "chat.member_count": "{n} members",
        "chat.messages": "Messages",
        "chat.load_older": "Load older messages",
        "chat.loading": "Loading…",
        "chat.beginning": "This is the beginning of the group",
        "chat.empty": "No messages yet. Say hello!",
        "chat.composer_label": "Message",
        "chat.composer_placeholder": "Write a message…",
        "chat.composer_hint": "Enter to send, Shift+Enter for a new line",
        "chat.send": "Send",
        "chat.sending": "Sending…",
        "chat.failed": "Not sent",
        "chat.retry": "Retry",
        "chat.deleted": "This message was deleted",
        "chat.delete": "Delete",
        "chat.delete_confirm": "Delete this message? Members will no longer see it.",
        "chat.you": "You",
        "chat.status.connecting": "Connecting…",
        "chat.status.live": "Live",
        "chat.status.reconnecting": "Reconnecting…",
        "chat.status.offline": "Offline",
        "chat.session_expired": "Your session has expired. Please sign in again.",
        "chat.network_error": "Network error. Check your connection and try again.",
        "chat.too_long": "The message is too long (at most {max} characters)",
        "members.title": "Members",
        "members.lead": "The owner comes first, then managers.",
        "members.back": "Back to chat",
        "members.count": "{n} members",
        "members.you": "(you)",
        "members.appoint": "Make manager",
        "members.unappoint": "Remove manager",
        "members.transfer": "Transfer ownership",
        "members.transfer_confirm": "Transfer ownership to {name}? You will become an ordinary member.",
        "members.leave": "Leave group",
        "members.leave_confirm": "Leave this group?",
        "members.owner_hint": "The owner must transfer ownership to another member before leaving.",
        "members.actions_for": "Actions for {name}",
        "notmember.title": "You are not a member of this group",
        "notmember.text": "Join to read its messages and see its members.",
        "notmember.join": "Join group",
        "notfound.title": "Page not found",
        "notfound.text": "The page you are looking for does not exist or has been removed.",
        "notfound.group": "No group was found. Check the group code.",
        "notfound.home": "Back to the start",
        "error.title": "Something went wrong",
        "unavailable.title": "Temporarily unavailable",
        "unavailable.text": "The server cannot reach its data right now. You are still signed in and nothing you sent "
        "is lost. Please try again in a moment.",
        "unavailable.retry": "Try again",
        "doc.version": "Version {version}",
        "doc.effective": "Effective {date}",
        "lang.zh": "中文",
        "lang.en": "English",
    },
}

TEXTS["zh-CN"].update(i18n_identity.ZH)
TEXTS["en"].update(i18n_identity.EN)
TEXTS["zh-CN"].update(i18n_review.ZH)
TEXTS["en"].update(i18n_review.EN)
TEXTS["zh-CN"].update(i18n_groups.ZH)
TEXTS["en"].update(i18n_groups.EN)

# Keys the browser scripts need (sent to the page as JSON, never as markup).
SCRIPT_KEYS = [k for k in TEXTS["en"] if k.startswith(("chat.", "members.", "verify.", "content.", "reason."))]

# Sharper zh-CN wording for generic validation errors that name a field.
FIELD_ERRORS_ZH: dict[str, str] = {
    "username": "用户名需为 3–32 个字符：字母、数字或 _ . -（以字母、数字或 _ 开头）",
    "nickname": "昵称需为 1–20 个字，且不能包含控制字符",
    "name": "群组名称需为 1–{max_length} 个字，且不能包含控制字符",
    "description": "群组简介最多 {max_length} 个字",
    "announcement": "群公告最多 {max_length} 个字",
    "category": "请选择一个类别",
}


def translator(language: str) -> Callable[..., str]:
    """`t(key, **values)` for one language; a missing zh-CN text falls back to English."""
    texts = TEXTS.get(language, TEXTS["zh-CN"])

    def t(key: str, **kw: Any) -> str:
        text = texts.get(key) or TEXTS["en"].get(key, key)
        return text.format(**kw) if kw else text

    return t


def form_error(exc: QunzuError, language: str) -> str:
    """The message shown above a form for a refused submission, in the page's language."""
    field = exc.details.get("field")
    if exc.code is ErrorCode.CONTENT_REJECTED:
        return content_rejected_text(exc, language)
    if language == "zh-CN" and exc.details.get("reason") == "reserved_word":
        return "该昵称可能被误认为平台工作人员或官方机构，请换一个"
    if language == "zh-CN" and exc.code is ErrorCode.ACCOUNT_INFO_REJECTED and field == "nickname":
        return FIELD_ERRORS_ZH["nickname"]
    if exc.code is ErrorCode.VALIDATION_FAILED and exc.details.get("reason") in TEXT_REASONS_ZH:
        return error_text(exc.code, exc.message, language, exc.details)  # a text rule: says what was wrong
    if language == "zh-CN" and exc.code is ErrorCode.VALIDATION_FAILED and field in FIELD_ERRORS_ZH:
        try:
            return FIELD_ERRORS_ZH[field].format(**exc.details)
        except (KeyError, IndexError, ValueError):
            pass
    return error_text(exc.code, exc.message, language, exc.details)


def content_rejected_text(exc: QunzuError, language: str) -> str:
    """A refusal by content review, naming the categories in words (never the matched term, never a code)."""
    t = translator(language)
    raw = exc.details.get("categories")
    codes = [c for c in raw if isinstance(c, str)] if isinstance(raw, list) else []
    categories = t("content.list_sep").join(
        t(f"content.{c}") if f"content.{c}" in TEXTS["en"] else c for c in codes
    ) or t("content.custom")
    field = exc.details.get("field")
    if isinstance(field, str) and f"content.field.{field}" in TEXTS["en"]:
        return t("content.rejected_field", field=t(f"content.field.{field}"), categories=categories)
    return t("content.rejected", categories=categories)


# review's field → the form's
CONTENT_FIELDS = {"group_name": "name", "group_description": "description", "group_announcement": "announcement"}


def error_field(exc: QunzuError) -> str | None:
    """The form field the error is about, so the page can mark it invalid."""
    field = exc.details.get("field")
    if isinstance(field, str):
        return CONTENT_FIELDS.get(field, field) if exc.code is ErrorCode.CONTENT_REJECTED else field
    return {
        ErrorCode.WEAK_PASSWORD: "password",
        ErrorCode.USERNAME_TAKEN: "username",
        ErrorCode.ACCOUNT_INFO_REJECTED: "nickname",
        ErrorCode.INVALID_GROUP_CODE: "code",
        ErrorCode.GROUP_NOT_FOUND: "code",
        ErrorCode.UNKNOWN_CATEGORY: "category",
        ErrorCode.AGREEMENT_REQUIRED: "accept",
        ErrorCode.CODE_INVALID: "code",
        ErrorCode.CODE_EXPIRED: "code",
        ErrorCode.CODE_LOCKED: "code",
        ErrorCode.INVALID_CREDENTIALS: "password",
        ErrorCode.IDENTITY_MISMATCH: "id_number",
    }.get(exc.code)


def error_action(exc: QunzuError | None) -> tuple[str, str] | None:
    """Where to go to fix a refusal (link target, text key): verify, or accept the new agreement."""
    if exc is None:
        return None
    if exc.code in (ErrorCode.IDENTITY_UNVERIFIED, ErrorCode.VERIFICATION_LEVEL_REQUIRED):
        return ("/me/verify", "error.go_verify")
    if exc.code is ErrorCode.AGREEMENT_REQUIRED:
        return ("/documents/agreement", "error.go_accept")
    return None
