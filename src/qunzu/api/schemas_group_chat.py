"""Schemas of the chat controls (R-9.3-1): mute all, slow mode, pins, the group keyword list and its held messages."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from qunzu.api.schemas import MessagePublic, OneLine
from qunzu.services.group_chat_controls import ChatControls, HeldMessage, Keyword, Pin


class MuteAllBody(BaseModel):
    on: bool = Field(description="true: ordinary members post nothing (全员禁言); the owner and managers still may")


class SlowModeBody(BaseModel):
    seconds: int = Field(ge=0, le=3600, description="0 switches slow mode off; else 10–3600 s between two messages")


class ChatControlsOut(BaseModel):
    mute_all: bool
    slow_mode_seconds: int
    pins: int = Field(description="pinned messages (at most 10)")

    @classmethod
    def of(cls, v: ChatControls) -> ChatControlsOut:
        return cls(mute_all=v.mute_all, slow_mode_seconds=v.slow_mode_seconds, pins=v.pins)


class PinOut(BaseModel):
    message: MessagePublic
    pinned_by: int
    pinned_by_nickname: str
    pinned_at: datetime

    @classmethod
    def of(cls, p: Pin, language: str) -> PinOut:
        return cls(
            message=MessagePublic.of(p.message, language),
            pinned_by=p.pinned_by,
            pinned_by_nickname=p.pinned_by_nickname,
            pinned_at=p.pinned_at,
        )


class PinsOut(BaseModel):
    pins: list[PinOut]
    max: int = 10


class KeywordBody(BaseModel):
    term: OneLine = Field(min_length=1, max_length=64, description="matched after normalisation (全角, case, 繁体)")


class KeywordOut(BaseModel):
    term: str
    added_by: int
    added_at: datetime

    @classmethod
    def of(cls, k: Keyword) -> KeywordOut:
        return cls(term=k.term, added_by=k.added_by, added_at=k.added_at)


class KeywordsOut(BaseModel):
    keywords: list[KeywordOut]
    max: int = 100


class HeldOut(BaseModel):
    message: MessagePublic
    held_at: datetime

    @classmethod
    def of(cls, h: HeldMessage, language: str) -> HeldOut:
        return cls(message=MessagePublic.of(h.message, language), held_at=h.held_at)


class HeldListOut(BaseModel):
    held: list[HeldOut]


class HeldDecision(BaseModel):
    approve: bool
    reason: OneLine | None = Field(None, max_length=200, description="told to the author with a rejection")
