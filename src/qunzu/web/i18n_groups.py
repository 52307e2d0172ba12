"""The web UI's texts for a group's settings (群设置) and its announcement (群公告) in the chat."""

from __future__ import annotations

ZH: dict[str, str] = {
    "group_settings.title": "群设置",
    "group_settings.lead": "群主和管理员可以修改群组名称、简介和群公告。",
    "group_settings.reviewed": "每次修改都会经过内容审核，并连同修改前后的内容一起记入群组的操作记录。",
    "group_settings.name": "群组名称",
    "group_settings.name_hint": "1–{max} 个字",
    "group_settings.description": "群组简介",
    "group_settings.description_hint": "选填，最多 {max} 个字",
    "group_settings.announcement": "群公告",
    "group_settings.announcement_hint": "选填，最多 {max} 个字。显示在聊天页顶部，所有成员可见；留空则不显示群公告。",
    "group_settings.announcement_since": "当前群公告发布于 {time}（北京时间）",
    "group_settings.save": "保存",
    "group_settings.cancel": "取消",
    "group_settings.back": "返回聊天",
    "group_settings.forbidden": "只有群主和管理员可以修改群组资料。",
    "group_settings.saved": "群组资料已保存。",
    "chat.settings": "群设置",
    "chat.announcement": "群公告",
    "chat.announcement_updated": "群公告已更新：{text}",
    "chat.announcement_removed": "群公告已撤下",
    "chat.announcement_more": "展开",
    "chat.announcement_less": "收起",
    "chat.renamed": "群组名称已改为：{name}",
}

EN: dict[str, str] = {
    "group_settings.title": "Group settings",
    "group_settings.lead": "The owner and managers can change the group's name, description and announcement.",
    "group_settings.reviewed": "Every change is checked by content review and recorded, with the old and the new "
    "text, in the group's operation log.",
    "group_settings.name": "Group name",
    "group_settings.name_hint": "1–{max} characters",
    "group_settings.description": "Description",
    "group_settings.description_hint": "Optional, up to {max} characters",
    "group_settings.announcement": "Announcement",
    "group_settings.announcement_hint": "Optional, up to {max} characters. Shown to every member at the top of "
    "the chat; leave it empty for no announcement.",
    "group_settings.announcement_since": "The current announcement was posted {time} (Beijing time)",
    "group_settings.save": "Save",
    "group_settings.cancel": "Cancel",
    "group_settings.back": "Back to chat",
    "group_settings.forbidden": "Only the group's owner and managers can change its name, description and "
    "announcement.",
    "group_settings.saved": "The group's settings were saved.",
    "chat.settings": "Group settings",
    "chat.announcement": "Announcement",
    "chat.announcement_updated": "New announcement: {text}",
    "chat.announcement_removed": "The announcement was removed",
    "chat.announcement_more": "Show all",
    "chat.announcement_less": "Show less",
    "chat.renamed": "The group is now called {name}",
}
