"""Who may do what, on the web: sign-in, bearer tokens, roles per endpoint,
the Host allow-list, and the audit of every change.

Deny by default: every route of the app — the JSON API under ``/api/`` and
the form alike, including routes added later — needs a bearer token
(``Authorization: Bearer …``) or a signed-in session, unless it is one of the
few public ones (``/healthz``, ``/api/v1/openapi.json``, ``/api/docs``, the
login). Which roles may use an endpoint is said once, in ``RULES`` (or with
``@allow`` on a view); an endpoint named nowhere is open to ``admin`` and
``clerk``, and for reading also to ``leader`` — never to a department user,
whose view must be scoped to its own department first.

On the API, no or a bad credential is 401 and a role not allowed is 403, both
in the one error shape; on the form, a visitor who is not signed in is sent
to the login page. A session serves the API for reading only (the form's
progress page and its download links); changes through the API need a token,
so a page on another site can never act with a clerk's cookie.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterable
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, jsonify, redirect, render_template, request, session, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from docgen import openapi
from docgen.errors import ErrorDetail, Forbidden, HostNotAllowed, InvalidPayload, Unauthorized
from docgen.services.accounts import ROLES, Principal
from docgen.services.audit import ACTIONS, AuditQuery
from docgen.services.office import Office

web_bp = Blueprint("access", __name__)
api_bp = Blueprint("access_api", __name__, url_prefix="/api/v1")
api_bp.before_request(openapi.refuse_unknown_query_parameters)

ALL = frozenset(ROLES)
ADMIN = frozenset({"admin"})
OFFICE = frozenset({"admin", "clerk"})
READERS = frozenset({"admin", "clerk", "leader"})
OVERSIGHT = frozenset({"admin", "leader"})

PUBLIC_ENDPOINTS = frozenset({"healthz", "static", "access.login", "access_api.login_api", "api.openapi_json"})
PUBLIC_PATHS = frozenset({"/healthz", "/api/v1/openapi.json", "/api/docs", "/login", "/api/v1/login"})

# Roles per endpoint. A department's reads are scoped to its own papers and
# matters by the services (``Principal.sees_recipient``), so they may be open to it.
RULES: dict[str, frozenset[str]] = {
    # the API
    "api.list_kinds": ALL,
    "api.show_kind": ALL,
    "api.draft": OFFICE,
    "api.issue_document": OFFICE,
    "api.list_documents": ALL,
    "api.show_document": ALL,
    "api.document_docx": ALL,
    "api.document_pdf": ALL,
    "api.void_document": OFFICE,
    "api.create_batch": OFFICE,
    "api.show_batch": READERS,
    "api.batch_packet": READERS,
    "api.batch_documents": READERS,
    "api.list_templates": READERS,
    "api.upload_template": ADMIN,
    "api.download_template": READERS,
    "api.activate_template": ADMIN,
    "api.preview_template": OFFICE,
    "access_api.audit": OVERSIGHT,
    "access_api.whoami": ALL,
    "calendar_api.month_duties": ALL,
    "preflight_api.check_paper": ALL,
    # escalations: everyone reads the list (a department its own papers); the two offices run it
    "escalations_api.list_escalations": ALL,
    "escalations_api.run": OFFICE,
    "dashboard.escalate": OFFICE,
    # replies: the two offices, or the department the paper was sent to (the service scopes it)
    "replies_api.record_reply": frozenset({"admin", "clerk", "department"}),
    "replies_api.reply_file": ALL,
    # matters: the two offices register, close and cancel; a department reads and reports on its own
    "matters_api.create_matter": OFFICE,
    "matters_api.import_matters": OFFICE,
    "matters_api.list_matters": ALL,
    "matters_api.show_matter": ALL,
    "matters_api.report_progress": frozenset({"admin", "clerk", "department"}),
    "matters_api.import_progress": frozenset({"admin", "clerk", "department"}),
    "matters_api.close_matter": OFFICE,
    "matters_api.cancel_matter": OFFICE,
    "matters_web.matters_page": ALL,
    "matters_web.matter_page": ALL,
    "matters_web.new_matter": OFFICE,
    "matters_web.create_matter": OFFICE,
    "matters_web.import_page": frozenset({"admin", "clerk", "department"}),
    "matters_web.import_ledger": OFFICE,
    "matters_web.import_progress": frozenset({"admin", "clerk", "department"}),
    "matters_web.progress_example": ALL,
    "matters_web.progress_submit": frozenset({"admin", "clerk", "department"}),
    "matters_web.close_submit": OFFICE,
    "matters_web.cancel_submit": OFFICE,
    # reports: clerk/admin make and issue, leaders download (issue=true refused to them)
    "reports_api.monthly": READERS,
    "reports_api.quarterly": READERS,
    "reports_api.bulletin": READERS,
    "reports_web.reports_page": READERS,
    "reports_web.reports_submit": READERS,
    # the form
    "web.index": ALL,
    "dashboard.home": ALL,
    "web.kind_form": ALL,
    "web.kind_submit": OFFICE,
    "web.example_sheet": ALL,
    "web.document": ALL,
    "web.void": OFFICE,
    "web.register_page": ALL,
    "web.batch_new": OFFICE,
    "web.batch_start": OFFICE,
    "web.batch_page": READERS,
    "web.templates_page": READERS,
    "web.template_upload": ADMIN,
    "web.template_activate": ADMIN,
    "web.template_preview": OFFICE,
    "web.template_download": READERS,
    "access.logout": ALL,
}

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SESSION_HOURS = 8

# Changes the services record themselves (with the number they took, in the
# same transaction); every other successful change is recorded by ``_audit``.
AUDITED_BY_SERVICES = frozenset({"api.issue_document", "api.void_document", "web.kind_submit", "web.void",
                                 "reports_api.monthly", "reports_api.quarterly", "reports_api.bulletin", "reports_web.reports_submit",
                                 "matters_api.create_matter", "matters_api.import_matters", "matters_api.report_progress",
                                 "matters_api.import_progress", "matters_api.close_matter", "matters_api.cancel_matter",
                                 "matters_web.create_matter", "matters_web.import_ledger", "matters_web.import_progress",
                                 "matters_web.progress_submit", "matters_web.close_submit", "matters_web.cancel_submit",
                                 "replies_api.record_reply", "web.reply_submit"})
_ACTION_WORDS = (
    ("reply", "reply"), ("progress", "progress"), ("template", "template_upload"), ("matter", "matter"),
    ("batch", "batch"), ("report", "report"), ("escalat", "escalation"), ("void", "void"), ("issue", "issue"),
)


def allow(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Say on a view which roles may use it (instead of a line in ``RULES``)."""
    unknown = set(roles) - ALL
    if unknown:
        raise ValueError(f"unknown roles {unknown}")

    def mark(view: Callable[..., Any]) -> Callable[..., Any]:
        view._roles = frozenset(roles)  # type: ignore[attr-defined]
        return view

    return mark


def is_public(endpoint: str | None, path: str) -> bool:
    return endpoint in PUBLIC_ENDPOINTS or path in PUBLIC_PATHS or (endpoint or "").startswith("api_docs.")


def allowed_roles(endpoint: str | None, method: str) -> frozenset[str]:
    """Who may use ENDPOINT with METHOD: its ``@allow``, its line in ``RULES``, or the default."""
    view = current_app.view_functions.get(endpoint or "")
    marked = getattr(view, "_roles", None)
    if marked is not None:
        return marked
    if endpoint in RULES:
        return RULES[endpoint]
    return READERS if method in SAFE_METHODS else OFFICE


def office() -> Office:
    return current_app.extensions["docgen"]


def current_principal() -> Principal | None:
    """Who is asking (None on a public route without credentials)."""
    return g.get("principal")


# -- the checks before every request -------------------------------------------------------------
def _bound_streamed_body() -> None:
    """A body sent without Content-Length (chunked) is read up to the limit here:
    one byte more is 413, where the server would otherwise cut it silently."""
    environ = request.environ
    if request.content_length is not None or not environ.get("wsgi.input_terminated"):
        return
    if request.method in SAFE_METHODS and "chunked" not in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        return
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if not limit:
        return
    data = environ["wsgi.input"].read(limit + 1)
    if len(data) > limit:
        raise RequestEntityTooLarge()
    environ["wsgi.input"] = io.BytesIO(data)
    environ["CONTENT_LENGTH"] = str(len(data))



def allowed_hosts(app: Flask) -> list[str]:
    raw = app.config.get("ALLOWED_HOSTS") or "localhost,127.0.0.1,::1"
    hosts = raw if isinstance(raw, list | tuple) else str(raw).split(",")
    return [h.strip().lower() for h in hosts if h.strip()]


def _host_name(host: str) -> str:
    host = host.strip().lower()
    if host.startswith("["):  # [::1]:8000
        return host[1:].split("]", 1)[0]
    if host.count(":") == 1:
        return host.rsplit(":", 1)[0]
    return host


def _check_host() -> None:
    """Answer only for the host names we serve: a page on another site that
    rebinds its DNS name to this machine still sends its own name."""
    allowed = allowed_hosts(current_app)
    if "*" in allowed:
        return
    name = _host_name(request.host or "")
    if name not in allowed and not any(a.startswith(".") and name.endswith(a) for a in allowed):
        raise HostNotAllowed(
            "请求的主机名不在允许之列",
            [ErrorDetail("(header).Host", f"“{name[:100]}”不在 DOCGEN_ALLOWED_HOSTS 中")],
        )


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Authorization 头应为 “Bearer 令牌”", [ErrorDetail("(header).Authorization", "格式应为 Bearer <令牌>")])
    return token.strip()


def _session_principal() -> Principal | None:
    name = session.get("user")
    signed_in = session.get("signed_in_at")
    if not name or not isinstance(signed_in, int | float):
        return None
    if dt.datetime.now(dt.UTC).timestamp() - signed_in > current_app.permanent_session_lifetime.total_seconds():
        session.clear()
        return None
    return office().accounts.user(name)


def _authenticate() -> None:
    """Deny by default: find who is asking and whether their role may use this endpoint."""
    is_api = request.path.startswith("/api/") or request.path == "/api"
    token = _bearer_token()
    principal = office().accounts.authenticate(token) if token else None
    if principal is None:
        principal = _session_principal()
        if principal is not None and is_api and request.method not in SAFE_METHODS:
            principal = None  # the API changes nothing on a cookie alone
    g.principal = principal
    if is_public(request.endpoint, request.path):
        return
    if principal is None:
        if is_api or request.accept_mimetypes.best == "application/json":
            raise Unauthorized("需要登录：请在 Authorization 头中提供访问令牌（Bearer）")
        return _to_login()
    if request.endpoint is None:
        return  # 404 / 405 for a signed-in user
    roles = allowed_roles(request.endpoint, request.method)
    if principal.role not in roles:
        raise Forbidden(
            f"{ROLES[principal.role]}（{principal.name}）无权进行此操作",
            [ErrorDetail("(role)", "需要以下角色之一：" + "、".join(ROLES[r] for r in ROLES if r in roles))],
        )


def _to_login():
    target = request.full_path.rstrip("?") if request.method == "GET" else request.path
    return redirect(url_for("access.login", next=target), code=303)


# -- who did what ------------------------------------------------------------------------------------
def _action_of(endpoint: str) -> str:
    name = endpoint.rsplit(".", 1)[-1]
    for word, action in _ACTION_WORDS:
        if word in name:
            return action
    return "change"


def _audit(response: Response) -> Response:
    """Record each successful change not already recorded by a service."""
    principal = current_principal()
    endpoint = request.endpoint or ""
    if (request.method in SAFE_METHODS or principal is None or response.status_code >= 400
            or endpoint in AUDITED_BY_SERVICES or endpoint in PUBLIC_ENDPOINTS or endpoint == "access.logout"):
        return response
    target = next(iter(request.view_args.values()), None) if request.view_args else None
    detail: dict[str, Any] = {"method": request.method, "path": request.path, "status": response.status_code}
    if response.headers.get("Location"):
        detail["location"] = response.headers["Location"]
    try:
        office().audit.record(principal, _action_of(endpoint), str(target) if target else None, detail=detail)
    except Exception:  # the change is done; a lost audit line must not turn it into an error
        current_app.logger.exception("could not record the audit entry")
    return response


# -- sign-in -------------------------------------------------------------------------------------------
def _safe_next(target: str | None) -> str:
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("dashboard.home")
    return target


@web_bp.route("/login", methods=["GET", "POST"])
def login():
    error = None
    name = ""
    if request.method == "POST":
        name = (request.form.get("name") or "").strip()[:100]
        password = request.form.get("password") or ""
        try:
            principal = office().accounts.sign_in(name, password)
        except Unauthorized as exc:
            office().audit.record(name or "（空）", "login_failed", detail={"via": "web"})
            error = exc.message
        else:
            session.clear()
            session.permanent = True
            session["user"] = principal.name
            session["signed_in_at"] = int(dt.datetime.now(dt.UTC).timestamp())
            office().audit.record(principal, "login", detail={"via": "web"})
            return redirect(_safe_next(request.args.get("next")), code=303)
    html = render_template("login.html", error=error, name=name, next=request.args.get("next", ""))
    return html, (401 if error else 200)


@web_bp.post("/logout")
def logout():
    principal = current_principal()
    if principal is not None and principal.via == "session":
        office().audit.record(principal, "logout", detail={"via": "web"})
    session.clear()
    return redirect(url_for("access.login"), code=303)


@api_bp.post("/login")
@openapi.doc(summary="用用户名和密码换取访问令牌（有效期同网页会话）", request=openapi.LoginIn, response=openapi.TokenOut)
def login_api() -> Response:
    from docgen.api import json_body

    data = json_body()
    if not isinstance(data, dict) or not isinstance(data.get("name"), str) or not isinstance(data.get("password"), str):
        raise InvalidPayload("请提供用户名和密码", [ErrorDetail("name", "必填，文字"), ErrorDetail("password", "必填，文字")])
    try:
        principal = office().accounts.sign_in(data["name"][:100], data["password"][:1000])
    except Unauthorized:
        office().audit.record(data["name"][:100] or "（空）", "login_failed", detail={"via": "api"})
        raise
    lifetime = current_app.permanent_session_lifetime
    token = office().accounts.create_token(principal.name, principal.role, principal.department, lifetime=lifetime)
    office().audit.record(principal, "login", detail={"via": "api"})
    expires = dt.datetime.now(dt.UTC) + lifetime
    return jsonify({"token": token, "role": principal.role, "department": principal.department,
                    "expires_at": expires.replace(microsecond=0).isoformat()})


@api_bp.get("/whoami")
@openapi.doc(summary="当前凭据对应的身份和角色", response=openapi.PrincipalOut)
def whoami() -> Response:
    p = current_principal()
    assert p is not None
    return jsonify({"name": p.name, "role": p.role, "role_title": ROLES[p.role], "department": p.department})


@api_bp.get("/audit")
@openapi.doc(
    summary="操作记录：谁在何时签发、作废、登记回复、报送进展、变更事项、上传模板、登录（管理员、局领导）",
    response=openapi.AuditList,
    query={"actor": "string", "action": tuple(ACTIONS), "since": "string", "until": "string", "page": "integer", "per_page": "integer"},
)
def audit() -> Response:
    items, total = office().audit.search(audit_query(request.args))
    response = jsonify(items)
    response.headers["X-Total-Count"] = str(total)
    return response


def audit_query(args) -> AuditQuery:
    errors: list[ErrorDetail] = []

    def day(name: str) -> dt.date | None:
        raw = args.get(name)
        if not raw:
            return None
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            errors.append(ErrorDetail(f"(query).{name}", "应为日期，格式如 2026-11-22"))
            return None

    def integer(name: str, default: int, high: int) -> int:
        raw = args.get(name)
        if not raw:
            return default
        if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= high:
            errors.append(ErrorDetail(f"(query).{name}", f"应为 1 到 {high} 之间的整数"))
            return default
        return int(raw)

    action = args.get("action") or None
    if action and action not in ACTIONS:
        errors.append(ErrorDetail("(query).action", "可用的有 " + "、".join(ACTIONS)))
    query = AuditQuery(actor=(args.get("actor") or None), action=action, since=day("since"), until=day("until"),
                       page=integer("page", 1, 100000), per_page=integer("per_page", 100, 1000))
    if errors:
        raise InvalidPayload("查询条件有误", errors)
    return query


def endpoints_without_rule(app: Flask) -> Iterable[str]:
    """Endpoints that fall to the default rule (for a review of new routes)."""
    for endpoint, view in app.view_functions.items():
        if endpoint not in RULES and endpoint not in PUBLIC_ENDPOINTS and not hasattr(view, "_roles"):
            yield endpoint


def init_app(app: Flask) -> None:
    """Install the Host check, sign-in and roles before every request, and the audit after it."""
    hours = app.config.get("SESSION_HOURS") or SESSION_HOURS
    app.config["PERMANENT_SESSION_LIFETIME"] = dt.timedelta(hours=int(hours))
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config.setdefault("SESSION_COOKIE_NAME", "docgen_session")
    app.before_request(_bound_streamed_body)
    app.before_request(_check_host)
    app.before_request(_authenticate)
    app.after_request(_audit)
    app.register_blueprint(web_bp)
    app.register_blueprint(api_bp)
    app.add_template_global(current_principal, "current_principal")
    app.add_template_global(ROLES, "ROLES")
