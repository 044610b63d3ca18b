"""Who may use docgen: users, their roles, bearer tokens and passwords.

Roles (DESIGN "Who may do what"):
- ``admin``: users, tokens, templates — and everything else;
- ``clerk``: the two offices: papers, matters, replies, reports;
- ``department``: bound to one 科室/单位; sees and acts on its own matters and papers only;
- ``leader``: reads everything, downloads packets and reports.

Tokens are random and only their SHA-256 is stored (a token is 256 random
bits, so a fast hash is enough); passwords are hashed with Argon2id.
Knows nothing of Flask.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, func, select

from docgen.errors import Conflict, ErrorDetail, InvalidPayload, NotFound, Unauthorized
from docgen.services.db import ApiToken, User, utcnow
from docgen.services.untrusted import check_text

if TYPE_CHECKING:
    from docgen.services.register import Register

ROLES: dict[str, str] = {"admin": "管理员", "clerk": "两办工作人员", "department": "科室/单位", "leader": "局领导"}
TOKEN_PREFIX = "dg_"
MIN_PASSWORD = 8

_hasher = PasswordHasher()

# Built once: every request runs one of these, and a statement built anew costs more than the read.
_TOKEN_BY_DIGEST = select(
    ApiToken.name, ApiToken.role, ApiToken.department, ApiToken.revoked_at, ApiToken.expires_at
).where(ApiToken.token_sha256 == bindparam("digest"))
_ACTIVE_USER = select(User.name, User.role, User.department).where(User.name == bindparam("name"), User.active.is_(True))


@dataclass(frozen=True)
class Principal:
    """Who is asking: a signed-in user, a token, or the operator at the command line."""

    name: str
    role: str
    department: str | None = None
    via: str = "token"  # token | session | cli

    @property
    def is_department(self) -> bool:
        return self.role == "department"

    def sees_recipient(self, recipient: str | None) -> bool:
        """A department sees only papers addressed to it; every other role sees all."""
        return not self.is_department or (recipient is not None and recipient == self.department)

    def sees_department(self, department: str | None) -> bool:
        """A department sees only its own matters; every other role sees all."""
        return not self.is_department or (department is not None and department == self.department)


CLI_OPERATOR = Principal("命令行", "admin", None, "cli")


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_role(role: str, department: str | None) -> str | None:
    """The role is one of the four; a department role names its department, the others none."""
    if role not in ROLES:
        raise InvalidPayload("角色无效", [ErrorDetail("role", f"只能是 {'、'.join(ROLES)} 之一")])
    if role == "department":
        department = check_text("department", department or "", max_length=200)
        if not department.strip():
            raise InvalidPayload("科室/单位角色须指明科室或单位", [ErrorDetail("department", "必填：该用户所属的科室或单位")])
        return department.strip()
    if department:
        raise InvalidPayload("只有科室/单位角色才绑定科室", [ErrorDetail("department", f"角色 {role} 不绑定科室")])
    return None


def _check_name(name: str) -> str:
    name = check_text("name", name or "", max_length=100).strip()
    if not name:
        raise InvalidPayload("名称不能为空", [ErrorDetail("name", "必填")])
    return name


class Accounts:
    """Users and tokens in the register's database."""

    def __init__(self, register: Register) -> None:
        self.register = register

    # -- users ------------------------------------------------------------
    def add_user(self, name: str, role: str, password: str, department: str | None = None) -> User:
        name = _check_name(name)
        department = check_role(role, department)
        if len(password or "") < MIN_PASSWORD:
            raise InvalidPayload("密码太短", [ErrorDetail("password", f"至少 {MIN_PASSWORD} 个字符")])
        with self.register.writing() as session, session.begin():
            if session.execute(select(User).where(User.name == name)).scalar_one_or_none() is not None:
                raise Conflict(f"已有名为 {name} 的用户", [ErrorDetail("name", "用户名已被使用")])
            user = User(name=name, role=role, department=department, password_hash=_hasher.hash(password), active=True)
            session.add(user)
        return user

    def user_count(self) -> int:
        with self.register.reading() as session:
            return session.execute(select(func.count()).select_from(User)).scalar_one()

    def ensure_first_admin(self) -> str | None:
        """With no user at all, create ``admin`` with a random password and return it (once)."""
        if self.user_count():
            return None
        password = secrets.token_urlsafe(12)
        try:
            self.add_user("admin", "admin", password)
        except Conflict:
            return None  # another process made it first
        return password

    def sign_in(self, name: str, password: str) -> Principal:
        """The user with this name and password, or 401 (the same answer for an unknown name)."""
        with self.register.reading() as session:
            user = session.execute(select(User).where(User.name == (name or "").strip())).scalar_one_or_none()
        stored = user.password_hash if user is not None and user.active else None
        try:
            if stored is None:
                _hasher.hash(password or "")  # the same time whether or not the name exists
                raise VerificationError
            _hasher.verify(stored, password or "")
        except (VerificationError, InvalidHashError):
            raise Unauthorized("用户名或密码不正确") from None
        return Principal(user.name, user.role, user.department, "session")

    def user(self, name: str) -> Principal | None:
        """The active user of this name, as a principal (for a session that is still open)."""
        with self.register.lookup() as connection:
            user = connection.execute(_ACTIVE_USER, {"name": name}).one_or_none()
        return Principal(user.name, user.role, user.department, "session") if user else None

    # -- tokens -----------------------------------------------------------
    def create_token(self, name: str, role: str, department: str | None = None, lifetime: dt.timedelta | None = None) -> str:
        """A new bearer token for NAME (an integration or a person); the plain token is returned once."""
        name = _check_name(name)
        department = check_role(role, department)
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self.register.writing() as session, session.begin():
            session.add(ApiToken(
                name=name,
                token_sha256=token_digest(token),
                role=role,
                department=department,
                expires_at=utcnow() + lifetime if lifetime else None,
            ))
        return token

    def revoke_tokens(self, name: str) -> int:
        """Revoke every live token of NAME; 404 when there is none."""
        with self.register.writing() as session, session.begin():
            tokens = session.execute(select(ApiToken).where(ApiToken.name == name, ApiToken.revoked_at.is_(None))).scalars().all()
            if not tokens:
                raise NotFound(f"没有名为 {name} 的有效令牌")
            for token in tokens:
                token.revoked_at = utcnow()
        return len(tokens)

    def authenticate(self, token: str) -> Principal:
        """The principal of a bearer token, or 401 if it is unknown, revoked or expired."""
        if not token or len(token) > 200:
            raise Unauthorized("访问令牌无效")
        with self.register.lookup() as connection:
            row = connection.execute(_TOKEN_BY_DIGEST, {"digest": token_digest(token)}).one_or_none()
        if row is None or row.revoked_at is not None:
            raise Unauthorized("访问令牌无效或已被吊销")
        if row.expires_at is not None and row.expires_at <= utcnow():
            raise Unauthorized("访问令牌已过期，请重新登录")
        return Principal(row.name, row.role, row.department, "token")
