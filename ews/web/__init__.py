"""The web pages: ``/dashboard`` for analysts and institutions, ``/report`` for monitors."""

from __future__ import annotations

from fastapi import APIRouter

from ews.web import (
    alert_pages,
    community_pages,
    contact_pages,
    digest_pages,
    mail_view,
    photo_view,
    report,
    report_checks,
    report_messages,
    report_view,
    service_pages,
    sign_in,
    static_files,
)

router = APIRouter()
router.include_router(sign_in.router)
router.include_router(alert_pages.router)
router.include_router(community_pages.router)
router.include_router(contact_pages.router)
router.include_router(service_pages.router)
router.include_router(digest_pages.router)
router.include_router(mail_view.router)
router.include_router(report_view.router)
router.include_router(photo_view.router)
router.include_router(report.router)
router.include_router(report.api_router)
router.include_router(report_checks.router)
router.include_router(report_messages.router)
router.include_router(static_files.router)

__all__ = ["router"]
