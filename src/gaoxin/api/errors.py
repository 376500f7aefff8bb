"""API errors: JSON with a stable code and Chinese and English messages; never a stack trace."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error a client may see: ``{"error": {"code", "message_zh", "message_en", "detail"}}``."""

    def __init__(self, status: int, code: str, message_zh: str, message_en: str, detail: Any = None) -> None:
        super().__init__(f"{code}: {message_en}")
        self.status, self.code, self.message_zh, self.message_en, self.detail = (
            status, code, message_zh, message_en, detail)

    def body(self) -> dict[str, Any]:
        err: dict[str, Any] = {"code": self.code, "message_zh": self.message_zh, "message_en": self.message_en}
        if self.detail is not None:
            err["detail"] = self.detail
        return {"error": err}


def not_found(what_zh: str, what_en: str) -> ApiError:
    """Also what a user gets for a row outside their scope: existence is not revealed."""
    return ApiError(404, "not_found", f"未找到{what_zh}", f"{what_en} not found")


def forbidden() -> ApiError:
    return ApiError(403, "forbidden", "当前角色无权访问", "your role may not access this")


def unauthenticated() -> ApiError:
    return ApiError(401, "unauthenticated", "请先登录", "sign in first")
