"""The web pages: ``/dashboard`` for analysts and institutions, ``/report`` for monitors."""

from __future__ import annotations

from fastapi import APIRouter

from ews.web import dashboard, mail_view, report, report_view, static_files

router = APIRouter()
router.include_router(dashboard.router)
router.include_router(mail_view.router)
router.include_router(report_view.router)
router.include_router(report.router)
router.include_router(report.api_router)
router.include_router(static_files.router)

__all__ = ["router"]
