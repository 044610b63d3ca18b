"""Who did what: the audit log of issues, voids, replies, progress reports,
matter changes, template uploads and logins. Knows nothing of Flask."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from docgen.services.accounts import Principal
from docgen.services.db import AuditEntry, utcnow

if TYPE_CHECKING:
    from docgen.services.register import Register

# action ids and what a person reads
ACTIONS: dict[str, str] = {
    "login": "登录",
    "login_failed": "登录失败",
    "logout": "退出登录",
    "issue": "签发",
    "void": "作废",
    "reply": "登记回复",
    "progress": "报送进展",
    "matter": "督查事项变更",
    "template_upload": "上传模板",
    "template_activate": "启用模板",
    "batch": "批量任务",
    "report": "生成报告",
    "escalation": "催办升级",
    "user": "用户管理",
    "token": "令牌管理",
    "change": "其他变更",
}


@dataclass
class AuditQuery:
    actor: str | None = None
    action: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    page: int = 1
    per_page: int = 100


def audit_entry(actor: Principal | str, action: str, target: str | None = None, outcome: str = "ok",
                detail: dict[str, Any] | None = None) -> AuditEntry:
    """A new entry (not yet added to a session)."""
    name, role = (actor.name, actor.role) if isinstance(actor, Principal) else (str(actor), None)
    return AuditEntry(at=utcnow(), actor=name[:100], role=role, action=action, target=(target or None) and target[:300],
                      outcome=outcome, detail=detail or None)


class AuditLog:
    """The audit log in the register's database."""

    def __init__(self, register: Register) -> None:
        self.register = register

    def record(self, actor: Principal | str, action: str, target: str | None = None, outcome: str = "ok",
               detail: dict[str, Any] | None = None, session: Session | None = None) -> None:
        """Add one entry; inside SESSION's transaction when given, else in a transaction of its own."""
        entry = audit_entry(actor, action, target, outcome, detail)
        if session is not None:
            session.add(entry)
            return
        with self.register.writing() as own, own.begin():
            own.add(entry)

    def search(self, query: AuditQuery) -> tuple[list[dict[str, Any]], int]:
        conditions = []
        if query.actor:
            conditions.append(AuditEntry.actor == query.actor)
        if query.action:
            conditions.append(AuditEntry.action == query.action)
        if query.since:
            conditions.append(AuditEntry.at >= dt.datetime.combine(query.since, dt.time()))
        if query.until:
            conditions.append(AuditEntry.at < dt.datetime.combine(query.until + dt.timedelta(days=1), dt.time()))
        with self.register.reading() as session:
            total = session.execute(select(func.count()).select_from(AuditEntry).where(*conditions)).scalar_one()
            rows = session.execute(
                select(AuditEntry).where(*conditions).order_by(AuditEntry.id.desc())
                .limit(query.per_page).offset((query.page - 1) * query.per_page)
            ).scalars().all()
        return [describe_entry(r) for r in rows], total


def describe_entry(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": entry.at.replace(tzinfo=dt.UTC).isoformat(),
        "actor": entry.actor,
        "role": entry.role,
        "action": entry.action,
        "action_title": ACTIONS.get(entry.action, entry.action),
        "target": entry.target,
        "outcome": entry.outcome,
        "detail": entry.detail,
    }
