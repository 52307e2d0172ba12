"""Groups: create, look up by code, join, leave, members, managers, transfer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from qunzu.api.deps import ContainerDep, CtxDep, UserDep
from qunzu.api.responses import AUTHED, errors
from qunzu.api.schemas import (
    MAX_ID,
    CategoryOut,
    GroupCreate,
    GroupProfileUpdate,
    GroupPublic,
    MemberPublic,
    MembersOut,
    OneLine,
    UserRef,
)
from qunzu.i18n import category_label
from qunzu.services import group_roles
from qunzu.services import groups as svc
from qunzu.services.review import profile_screen

router = APIRouter(prefix="/api/v1", tags=["groups"])
Code = Annotated[OneLine, Path(min_length=1, max_length=32, description="group code, 10 digits")]
UserIdPath = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.get("/categories", response_model=list[CategoryOut], responses=errors())
async def categories(c: ContainerDep, ctx: CtxDep) -> list[CategoryOut]:
    """The group categories this platform offers (configurable catalogue)."""
    return [CategoryOut(id=cat, label=category_label(cat, ctx.language)) for cat in c.settings.groups.categories]


@router.post("/groups", status_code=201, response_model=GroupPublic, responses=errors(*AUTHED))
async def create_group(body: GroupCreate, user: UserDep, c: ContainerDep, ctx: CtxDep) -> GroupPublic:
    """Create a group; you become its owner (群主). It gets a unique 10-digit code."""
    view = await svc.create_group(
        c.db,
        actor=user.id,
        name=body.name,
        category=body.category,
        description=body.description,
        ctx=ctx,
        limits=c.settings.groups,
        screen=profile_screen(c.review),
    )
    return GroupPublic.of(view, ctx.language)


@router.get("/groups/{code}", response_model=GroupPublic, responses=errors(*AUTHED, 404))
async def get_group(code: Code, user: UserDep, c: ContainerDep, ctx: CtxDep) -> GroupPublic:
    """A group's basic information, for anyone signed in who holds its code."""
    return GroupPublic.of(await svc.get_group(c.db, actor=user.id, code=code), ctx.language)


@router.patch("/groups/{code}", response_model=GroupPublic, responses=errors(*AUTHED, 403, 404, 409, 422))
async def update_profile(
    code: Code, body: GroupProfileUpdate, user: UserDep, c: ContainerDep, ctx: CtxDep
) -> GroupPublic:
    """The owner or a manager changes the group's name, description or announcement (群公告). Each change is
    reviewed like a new group's (refused with `content_rejected`) and recorded with its old and new value;
    members' open pages get a `group_updated` frame."""
    view = await svc.update_profile(
        c.db,
        actor=user.id,
        code=code,
        name=body.name,
        description=body.description,
        announcement=body.announcement,
        ctx=ctx,
        limits=c.settings.groups,
        screen=profile_screen(c.review),
    )
    return GroupPublic.of(view, ctx.language)


@router.post(
    "/groups/{code}/join", status_code=201, response_model=GroupPublic, responses=errors(*AUTHED, 404, 409, 410)
)
async def join(code: Code, user: UserDep, c: ContainerDep, ctx: CtxDep) -> GroupPublic:
    """Join a group by its code (refused with `group_full` at the member cap)."""
    return GroupPublic.of(await svc.join_group(c.db, actor=user.id, code=code, ctx=ctx), ctx.language)


@router.post("/groups/{code}/leave", status_code=204, responses=errors(*AUTHED, 403, 404, 409))
async def leave(code: Code, user: UserDep, c: ContainerDep, ctx: CtxDep) -> Response:
    """Leave a group. The owner must transfer ownership first."""
    await svc.leave_group(c.db, actor=user.id, code=code, ctx=ctx)
    return Response(status_code=204)


@router.get("/groups/{code}/members", response_model=MembersOut, responses=errors(*AUTHED, 403, 404))
async def members(code: Code, user: UserDep, c: ContainerDep, ctx: CtxDep) -> MembersOut:
    """Members with their role labels (群主 / 管理员 / 成员)."""
    views = await svc.list_members(c.db, actor=user.id, code=code)
    return MembersOut(members=[MemberPublic.of(v, ctx.language) for v in views], count=len(views))


@router.post("/groups/{code}/managers", response_model=MemberPublic, responses=errors(*AUTHED, 403, 404, 409))
async def appoint_manager(code: Code, body: UserRef, user: UserDep, c: ContainerDep, ctx: CtxDep) -> MemberPublic:
    """The owner appoints a member as manager (管理员)."""
    view = await group_roles.set_manager(c.db, actor=user.id, code=code, user_id=body.user_id, manager=True, ctx=ctx)
    return MemberPublic.of(view, ctx.language)


@router.delete(
    "/groups/{code}/managers/{user_id}", response_model=MemberPublic, responses=errors(*AUTHED, 403, 404, 409)
)
async def remove_manager(code: Code, user_id: UserIdPath, user: UserDep, c: ContainerDep, ctx: CtxDep) -> MemberPublic:
    """The owner returns a manager to ordinary member."""
    view = await group_roles.set_manager(c.db, actor=user.id, code=code, user_id=user_id, manager=False, ctx=ctx)
    return MemberPublic.of(view, ctx.language)


@router.post("/groups/{code}/transfer", response_model=GroupPublic, responses=errors(*AUTHED, 403, 404, 409))
async def transfer(code: Code, body: UserRef, user: UserDep, c: ContainerDep, ctx: CtxDep) -> GroupPublic:
    """The owner transfers the group to another member, who becomes 群主."""
    view = await group_roles.transfer_ownership(c.db, actor=user.id, code=code, to_user=body.user_id, ctx=ctx)
    return GroupPublic.of(view, ctx.language)
