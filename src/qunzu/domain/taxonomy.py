"""The content taxonomy (R-4-1): both families of 《网络信息内容生态治理规定》, each category with its handling.

Art. 6 lists eleven kinds of illegal information (违法信息), Art. 7 nine kinds of undesirable information (不良信息).
The platform convention repeats them (公约 第九条, 第十条) and says how each family is handled: illegal information is
stopped, deleted, kept from spreading to other groups, recorded and reported (第十五条); undesirable information gets
measures matched to the circumstances, such as exclusion from search, a notice, a warning or restricted functions,
rather than deletion alone (第十四条), graded by repetition (第十三条). The codes are stable: enforcement records,
content bans and report packages name them.

The review engine's categories and the reviewers' reason codes (domain/content.py) are coarser and older; `of_reason`
maps each of them to its entry, and `illegal_entry` says which illegal category a confirmation of illegal content
(R-10-3) files under.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from qunzu.domain.rules import rule
from qunzu.errors import ErrorCode, ValidationFailed


class Family(StrEnum):
    ILLEGAL = "illegal"  # 违法信息, 生态治理规定 Art. 6
    UNDESIRABLE = "undesirable"  # 不良信息, Art. 7


class Handling(StrEnum):
    """One step of handling, as the convention names them (第十四条, 第十五条)."""

    STOP_TRANSMISSION = "stop_transmission"  # 立即停止传输 (no client receives it afterwards, replay included)
    REMOVE = "remove"  # 删除信息 (hidden from members; the copy is kept for the record)
    HASH_BAN = "hash_ban"  # 防止其在其他群组扩散 (the same normalised text is refused everywhere)
    KEEP_RECORD = "keep_record"  # 保存有关记录 (the enforcement record with the evidence)
    REPORT = "report"  # 向有关主管部门报告 (a report item carried by the next package)
    NOTICE = "notice"  # 提示 (the author is told what is wrong)
    REDUCED_REACH = "reduced_reach"  # 不在搜索和推荐中展示 (the group is hidden from search)
    WARNING = "warning"  # 警示 (a warning record; for a group, a rectification with a deadline)
    RESTRICT = "restrict"  # 限制功能 (posting or management limits for a period)


class Grade(StrEnum):
    """The convention's levels of violation (第十三条); each sets the usual measures and the credit deducted."""

    MINOR = "minor"  # 轻微
    MODERATE = "moderate"  # 一般
    SERIOUS = "serious"  # 严重
    GRAVE = "grave"  # 特别严重


ILLEGAL_HANDLING = (
    Handling.STOP_TRANSMISSION,
    Handling.REMOVE,
    Handling.HASH_BAN,
    Handling.KEEP_RECORD,
    Handling.REPORT,
)


@dataclass(frozen=True, slots=True)
class ContentCategory:
    code: str
    family: Family
    item: int  # the item of Art. 6 or Art. 7 (and of 公约 第九条 or 第十条)
    name_zh: str
    name_en: str
    grade: Grade  # the grade of a first violation (the convention's 第十三条)
    handling: tuple[Handling, ...]  # what the platform does on a first finding
    repeated: tuple[Handling, ...]  # what it does when the same person or group does it again

    @property
    def legal_basis(self) -> str:
        article = 6 if self.family is Family.ILLEGAL else 7
        return f"《网络信息内容生态治理规定》第{article}条第{self.item}项"

    @property
    def clause(self) -> str:
        """The platform convention's clause (公约 第九条 / 第十条, the same item)."""
        return f"公约第{'九' if self.family is Family.ILLEGAL else '十'}条第{self.item}项"

    def name(self, language: str) -> str:
        return self.name_zh if language.startswith("zh") else self.name_en


def _illegal(code: str, item: int, zh: str, en: str, grade: Grade = Grade.SERIOUS) -> ContentCategory:
    return ContentCategory(code, Family.ILLEGAL, item, zh, en, grade, ILLEGAL_HANDLING, (*ILLEGAL_HANDLING, H.RESTRICT))


def _undesirable(
    code: str, item: int, zh: str, en: str, first: tuple[Handling, ...], repeated: tuple[Handling, ...]
) -> ContentCategory:
    return ContentCategory(code, Family.UNDESIRABLE, item, zh, en, Grade.MINOR, first, repeated)


H = Handling
TAXONOMY: tuple[ContentCategory, ...] = (
    _illegal("ill_constitution", 1, "反对宪法所确定的基本原则", "Opposes the basic principles of the Constitution"),
    _illegal(
        "ill_national_security", 2, "危害国家安全，泄露国家秘密，颠覆国家政权，破坏国家统一",
        "Endangers national security, divulges state secrets, subverts state power or undermines national unity",
    ),
    _illegal("ill_national_honour", 3, "损害国家荣誉和利益", "Harms the honour or interests of the nation"),
    _illegal(
        "ill_heroes_martyrs", 4, "歪曲、丑化、亵渎、否定英雄烈士事迹和精神，侵害英雄烈士的姓名、肖像、名誉、荣誉",
        "Distorts, defames or denies the deeds and spirit of heroes and martyrs, or infringes their name, likeness, "
        "reputation or honour",
    ),
    _illegal(
        "ill_terrorism_extremism", 5, "宣扬恐怖主义、极端主义或者煽动实施恐怖活动、极端主义活动",
        "Promotes terrorism or extremism, or incites terrorist or extremist activities", Grade.GRAVE,
    ),
    _illegal(
        "ill_ethnic_hatred", 6, "煽动民族仇恨、民族歧视，破坏民族团结",
        "Incites ethnic hatred or discrimination, or undermines ethnic unity",
    ),
    _illegal(
        "ill_religion_cults", 7, "破坏国家宗教政策，宣扬邪教和封建迷信",
        "Undermines the state's policy on religion, or promotes cults or feudal superstition",
    ),
    _illegal(
        "ill_rumours", 8, "散布谣言，扰乱经济秩序和社会秩序", "Spreads rumours that disturb economic or social order"
    ),
    _illegal(
        "ill_obscenity_gambling_violence", 9, "散布淫秽、色情、赌博、暴力、凶杀、恐怖或者教唆犯罪",
        "Spreads obscenity, pornography, gambling, violence, murder or terror, or incites crime", Grade.GRAVE,
    ),
    _illegal(
        "ill_insult_defamation", 10, "侮辱或者诽谤他人，侵害他人名誉、隐私和其他合法权益",
        "Insults or defames others, or infringes their reputation, privacy or other lawful rights",
    ),
    _illegal(
        "ill_other_prohibited", 11, "法律、行政法规禁止的其他内容",
        "Anything else prohibited by laws or administrative regulations",
    ),
    _undesirable(
        "und_clickbait", 1, "使用夸张标题，内容与标题严重不符",
        "Exaggerated headlines that the content does not bear out",
        (H.NOTICE, H.REDUCED_REACH), (H.REMOVE, H.WARNING),
    ),
    _undesirable(
        "und_scandal_hype", 2, "炒作绯闻、丑闻、劣迹等", "Hypes scandals, gossip or misdeeds",
        (H.NOTICE, H.REDUCED_REACH), (H.REMOVE, H.WARNING),
    ),
    _undesirable(
        "und_disaster_comment", 3, "不当评述自然灾害、重大事故等灾难",
        "Improper comment on disasters or major accidents",
        (H.REMOVE, H.NOTICE), (H.WARNING, H.RESTRICT),
    ),
    _undesirable(
        "und_sexual_innuendo", 4, "带有性暗示、性挑逗等易使人产生性联想", "Sexual innuendo or provocation",
        (H.REMOVE, H.NOTICE), (H.WARNING, H.RESTRICT),
    ),
    _undesirable(
        "und_gore_horror", 5, "展示血腥、惊悚、残忍等致人身心不适", "Gore, horror or cruelty that causes discomfort",
        (H.REMOVE, H.NOTICE), (H.WARNING, H.RESTRICT),
    ),
    _undesirable(
        "und_discrimination", 6, "煽动人群歧视、地域歧视等",
        "Incites discrimination against groups of people or regions",
        (H.REMOVE, H.WARNING), (H.RESTRICT, H.REDUCED_REACH),
    ),
    _undesirable(
        "und_vulgar", 7, "宣扬低俗、庸俗、媚俗内容", "Promotes vulgar, crude or kitsch content",
        (H.NOTICE, H.REDUCED_REACH), (H.REMOVE, H.WARNING),
    ),
    _undesirable(
        "und_minors_unsafe", 8, "可能引发未成年人模仿不安全行为和违反社会公德行为、诱导未成年人不良嗜好",
        "May lead minors to imitate unsafe or immoral behaviour, or induce bad habits in minors",
        (H.REMOVE, H.WARNING), (H.RESTRICT, H.REDUCED_REACH),
    ),
    _undesirable(
        "und_other_harmful", 9, "其他对网络生态造成不良影响的内容", "Anything else that harms the online ecosystem",
        (H.NOTICE, H.REDUCED_REACH), (H.REMOVE, H.WARNING),
    ),
)  # fmt: skip
BY_CODE: dict[str, ContentCategory] = {c.code: c for c in TAXONOMY}
ILLEGAL_CODES = tuple(c.code for c in TAXONOMY if c.family is Family.ILLEGAL)

# The reviewers' reason codes (domain/content.py::REASON_CODES) and the review engine's lexicon categories
# (review/model.py::Category) as taxonomy entries. Advertising spam is the convention's minor case (第十三条第1项);
# "other" and the lexicon's own "custom" terms fall to the undesirable catch-all until a reviewer says more.
REASON_MAP: dict[str, str] = {
    "fraud": "ill_other_prohibited",  # 诈骗: prohibited by the Criminal Law (公约第七条第5项)
    "gambling": "ill_obscenity_gambling_violence",
    "pornography": "ill_obscenity_gambling_violence",
    "violence": "ill_obscenity_gambling_violence",
    "illegal_goods": "ill_other_prohibited",  # 销售违禁物品
    "advertising": "und_other_harmful",
    "politics": "ill_national_security",
    "harassment": "ill_insult_defamation",
    "privacy": "ill_insult_defamation",
    "other": "und_other_harmful",
    "custom": "und_other_harmful",  # the lexicon's own terms without a category
}


def entry(code: str) -> ContentCategory:
    """The taxonomy entry of a code (`validation_failed` naming the codes allowed)."""
    found = BY_CODE.get(code)
    if found is None:
        raise ValidationFailed("Unknown content category", details={"field": "category", "allowed": list(BY_CODE)})
    return found


def of_reason(code: str) -> ContentCategory:
    """The taxonomy entry of a reason code, a lexicon category or a taxonomy code itself."""
    return BY_CODE[REASON_MAP[code]] if code in REASON_MAP else entry(code)


@rule("R-10-3", ErrorCode.VALIDATION_FAILED)
def illegal_entry(code: str) -> ContentCategory:
    """The illegal category content confirmed illegal is filed under: an illegal taxonomy code as given, a reason
    code by its map, and a reason whose usual reading is undesirable (advertising, other) under Art. 6 item 11,
    since a reviewer who confirms it illegal says the law forbids it."""
    found = of_reason(code)
    return found if found.family is Family.ILLEGAL else BY_CODE["ill_other_prohibited"]


@rule("R-4-1", ErrorCode.VALIDATION_FAILED)
def taxonomy_rows() -> list[dict[str, Any]]:
    """The taxonomy as plain rows (for the report package and `qunzu compliance taxonomy`): both families, each
    category with its legal basis, the convention's clause, its grade and handling."""
    return [
        {
            "code": c.code,
            "family": c.family.value,
            "item": c.item,
            "name_zh": c.name_zh,
            "name_en": c.name_en,
            "legal_basis": c.legal_basis,
            "clause": c.clause,
            "grade": c.grade.value,
            "handling": [h.value for h in c.handling],
            "repeated": [h.value for h in c.repeated],
            "reason_codes": sorted(k for k, v in REASON_MAP.items() if v == c.code),
        }
        for c in TAXONOMY
    ]
