"""The OpenAPI 3.1 description, generated from the routes and the models.

Each API view carries a small ``@doc`` note (summary, which body, which
answer); the paths come from Flask's URL map, the payload schemas from the
kinds' pydantic models, the answers from the models below. Nothing is
written twice by hand.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Flask
from pydantic import BaseModel, Field

from docgen.kinds import KINDS


class ErrorDetailOut(BaseModel):
    loc: str = Field(description="出错字段的路径，如 items.0.deadline")
    msg: str


class ErrorOut(BaseModel):
    error: str = Field(description="稳定的英文错误代码")
    message: str = Field(description="一句话说明")
    details: list[ErrorDetailOut]


class KindSummary(BaseModel):
    kind: str
    title: str
    description: str


class KindSummaryList(BaseModel):
    root: list[KindSummary]


class KindDetail(KindSummary):
    schema_: dict[str, Any] = Field(alias="schema", description="载荷的 JSON Schema")
    example: dict[str, Any]


class Links(BaseModel):
    self: str
    docx: str
    pdf: str


class DocumentOut(BaseModel):
    id: str
    kind: str
    title: str
    number: str | None
    status: str = Field(description="issued 或 voided")
    issued_on: str
    due_on: str | None
    recipient: str | None
    void_reason: str | None = None
    follows: str | None = Field(default=None, description="所依据文件（如督办提示）的 id")
    force_reason: str | None = None
    batch_id: str | None = None
    payload: dict[str, Any] | None = None
    template_sha256: str | None = None
    file_sha256: str | None = None
    links: Links


class DocumentList(BaseModel):
    root: list[DocumentOut]


class VoidIn(BaseModel):
    reason: str = Field(min_length=1, max_length=1000, description="作废理由")


class BatchIn(BaseModel):
    kind: str
    items: list[dict[str, Any]]
    issue: bool = False
    duplex: bool = True


class BatchOut(BaseModel):
    id: str
    kind: str
    status: str = Field(description="queued / running / done / failed")
    done: int
    total: int
    issue: bool
    error: dict[str, Any] | None = None
    links: dict[str, str]


class LoginIn(BaseModel):
    name: str = Field(max_length=100, description="用户名")
    password: str = Field(max_length=1000, description="密码")


class TokenOut(BaseModel):
    token: str = Field(description="访问令牌，放在 Authorization: Bearer 头中")
    role: str
    department: str | None
    expires_at: str


class PrincipalOut(BaseModel):
    name: str
    role: str = Field(description="admin / clerk / department / leader")
    role_title: str
    department: str | None


class AuditOut(BaseModel):
    id: int
    at: str
    actor: str = Field(description="用户名或令牌名")
    role: str | None
    action: str
    action_title: str
    target: str | None = Field(description="文号、文件或事项的 id 等")
    outcome: str
    detail: dict[str, Any] | None


class AuditList(BaseModel):
    root: list[AuditOut]
class TemplateVersionOut(BaseModel):
    version: int
    sha256: str
    uploaded_at: str
    uploaded_by: str | None = Field(description="上传人；内置模板为空")
    active: bool = Field(description="新签发的公文是否用这一版")
    source: str = Field(description="upload（上传）或 bundled（内置模板，首次使用时记入）")
    filename: str | None = None
    size: int
    placeholders: list[str] = Field(description="模板中出现的占位符")
    links: dict[str, str] | None = None


class TemplateVersionList(BaseModel):
    root: list[TemplateVersionOut]


class Health(BaseModel):
    status: str
    converter: dict[str, Any]


_REGISTRY: dict[str, dict[str, Any]] = {}


def doc(
    summary: str,
    request: type[BaseModel] | str | None = None,
    response: type[BaseModel] | None = None,
    status: int = 200,
    query: dict[str, Any] | None = None,
    files: bool = False,
    headers: dict[str, str] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Note what an endpoint takes and gives, for the OpenAPI document."""

    def mark(view: Callable[..., Any]) -> Callable[..., Any]:
        view._openapi = dict(  # type: ignore[attr-defined]
            summary=summary, request=request, response=response, status=status, query=query or {}, files=files, headers=headers or {}
        )
        return view

    return mark


def _schema_ref(model: type[BaseModel], components: dict[str, Any]) -> dict[str, Any]:
    if model is KindSummaryList:
        return {"type": "array", "items": _schema_ref(KindSummary, components)}
    if model is DocumentList:
        return {"type": "array", "items": _schema_ref(DocumentOut, components)}
    if model is AuditList:
        return {"type": "array", "items": _schema_ref(AuditOut, components)}
    if model is TemplateVersionList:
        return {"type": "array", "items": _schema_ref(TemplateVersionOut, components)}
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}", by_alias=True)
    for name, sub in schema.pop("$defs", {}).items():
        components[name] = sub
    components[model.__name__] = schema
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _payload_schema(components: dict[str, Any]) -> dict[str, Any]:
    options = []
    for kind in KINDS.values():
        options.append(_schema_ref(kind.model, components))
    return {"oneOf": options, "description": "所选公文种类的载荷，见 GET /api/v1/kinds/{kind}"}


_ERRORS = {
    "400": "JSON 格式错误",
    "401": "未登录：缺少或无效的访问令牌",
    "403": "当前角色无权进行此操作",
    "404": "没有这种公文或这份文件",
    "409": "状态冲突或尚未完成",
    "413": "请求体太大",
    "415": "请求体不是 JSON",
    "422": "内容不符合要求（逐项列出出错字段）",
    "429": "排队已满",
    "503": "PDF 转换服务不可用",
}


def build(app: Flask) -> dict[str, Any]:
    """The OpenAPI 3.1 document for every /api/v1 route and /healthz."""
    from docgen.access import is_public
    components: dict[str, Any] = {}
    error_ref = _schema_ref(ErrorOut, components)
    paths: dict[str, Any] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        view = app.view_functions.get(rule.endpoint)
        spec = getattr(view, "_openapi", None)
        if spec is None:
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            op: dict[str, Any] = {"summary": spec["summary"], "operationId": rule.endpoint.replace(".", "_") + "_" + method.lower()}
            params = [
                {"name": name, "in": "path", "required": True, "schema": _param_schema(name)}
                for name in rule.arguments
            ]
            for name, values in spec["query"].items():
                schema = {"type": "string", "enum": list(values)} if isinstance(values, tuple) else {"type": values}
                params.append({"name": name, "in": "query", "required": False, "schema": schema})
            for name, desc in spec["headers"].items():
                params.append({"name": name, "in": "header", "required": False, "schema": {"type": "string"}, "description": desc})
            if params:
                op["parameters"] = params
            request = spec["request"]
            if request == "kind":
                op["requestBody"] = {"required": True, "content": {"application/json": {"schema": _payload_schema(components)}}}
            elif request == "upload":
                upload = {"type": "object", "required": ["file"], "properties": {"file": {"type": "string", "format": "binary"}}}
                op["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": upload}}}
            elif request is not None:
                op["requestBody"] = {"required": True, "content": {"application/json": {"schema": _schema_ref(request, components)}}}
            responses: dict[str, Any] = {}
            ok = {"description": "成功"}
            if spec["files"]:
                ok["content"] = {
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {"schema": {"type": "string", "format": "binary"}},
                    "application/pdf": {"schema": {"type": "string", "format": "binary"}},
                    "application/zip": {"schema": {"type": "string", "format": "binary"}},
                }
            elif spec["response"] is not None:
                ok["content"] = {"application/json": {"schema": _schema_ref(spec["response"], components)}}
            else:
                ok["content"] = {"application/json": {"schema": {"type": "object"}}}
            responses[str(spec["status"])] = ok
            for code, desc in _ERRORS.items():
                responses[code] = {"description": desc, "content": {"application/json": {"schema": error_ref}}}
            op["responses"] = responses
            if is_public(rule.endpoint, rule.rule):
                op["security"] = []
            paths.setdefault(path, {})[method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "docgen 督查公文生成服务", "version": "1.0.0", "description": "把 JSON 填进督查工作的公文模板：草稿、签发编号、登记、PDF 和签批包。"},
        "paths": paths,
        "components": {"schemas": components, "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearer": []}],
    }


def _param_schema(name: str) -> dict[str, Any]:
    if name == "kind":
        return {"type": "string", "enum": list(KINDS)}
    if name == "version":
        return {"type": "integer", "minimum": 1}
    return {"type": "string"}
