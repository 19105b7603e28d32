"""Spanish first, English second: the page texts are written in Spanish and looked up in English.

Templates call ``_("texto en español")``; ``EN`` maps each of those texts to English. A test checks
that every text the templates use has its English entry, so a switch to English never shows a gap.
"""

from __future__ import annotations

# ruff: noqa: E501 - a translation table reads best one sentence per line
from enum import StrEnum


class Lang(StrEnum):
    es = "es"
    en = "en"


def parse_lang(value: str | None) -> Lang:
    return Lang.en if value == "en" else Lang.es


EN: dict[str, str] = {
    # Layout and navigation.
    "Alerta temprana": "Early warning",
    "Cola de alertas": "Alert queue",
    "Comunidades": "Communities",
    "Entregas": "Deliveries",
    "Silencios": "Silences",
    "Referencia": "Reference",
    "Salir": "Sign out",
    "English": "English",
    "Español": "Español",
    "Sesión de": "Signed in as",
    "Ir al contenido": "Skip to content",
    # Sign-in.
    "Ingresar al panel": "Sign in to the dashboard",
    "Clave de API": "API key",
    "Ingresar": "Sign in",
    "La clave no se guarda en el navegador: la sesión dura unas horas y termina si la clave se revoca.": "The key is not kept in the browser: the session lasts a few hours and ends if the key is revoked.",
    "Clave inválida o revocada.": "Invalid or revoked key.",
    "Esta clave no da acceso al panel (solo analistas e instituciones). Los monitores usan la página de reporte.": "This key gives no access to the dashboard (analysts and institutions only). Monitors use the report page.",
    "El formulario venció o vino de otro sitio; inténtelo de nuevo.": "The form expired or came from another site; try again.",
    "Sesión cerrada.": "Signed out.",
    # Queue.
    "Alertas": "Alerts",
    "Estado": "Status",
    "Comunidad": "Community",
    "Categoría": "Category",
    "Nivel": "Level",
    "Institución": "Institution",
    "Todas": "All",
    "Todos": "All",
    "Activas": "Active",
    "Filtrar": "Filter",
    "Antigüedad": "Age",
    "Abierta": "Opened",
    "Dirigida a": "Routed to",
    "No hay alertas con estos filtros.": "No alerts match these filters.",
    "Siguiente página": "Next page",
    "Solo ve las alertas dirigidas a su institución.": "You see only the alerts routed to your institution.",
    # Alert detail.
    "Alerta": "Alert",
    "Qué se pide": "What is asked",
    "Bloque de prototipos": "Prototype block",
    "Evidencia": "Evidence",
    "Cronología": "Timeline",
    "Evento": "Event",
    "Cuándo": "When",
    "Quién": "Who",
    "Nota": "Note",
    "Silenciado por": "Muted by",
    "Acusar recibo": "Acknowledge",
    "Resolver": "Resolve",
    "Nota (obligatoria)": "Note (required)",
    "Escriba una nota.": "Write a note.",
    "Alerta resuelta.": "Alert resolved.",
    "Recibo registrado.": "Acknowledgement recorded.",
    "No puede hacer esto con esta alerta.": "You may not do this with this alert.",
    "Esta alerta ya está resuelta.": "This alert is already resolved.",
    "Volver a la cola": "Back to the queue",
    "Sin evidencia registrada.": "No evidence recorded.",
    "Valor": "Value",
    "Detalle": "Detail",
    # Communities.
    "Territorio": "Territory",
    "Zona de aproximación": "Approach zone",
    "Reportes": "Reports",
    "Focos de calor": "Fire hotspots",
    "Alertas de deforestación": "Deforestation alerts",
    "Desde": "From",
    "Hasta": "To",
    "Capas": "Layers",
    "Mostrar": "Show",
    "Mapa del territorio y su zona de aproximación": "Map of the territory and its approach zone",
    "Límite ilustrativo": "Illustrative boundary",
    "puntos agrupados": "points grouped",
    "Indicadores": "Indicators",
    "Índice de amenaza": "Threat index",
    "Aporte de cada indicador": "Contribution of each indicator",
    "Umbrales": "Thresholds",
    "Línea base": "Baseline",
    "Sin datos de indicadores todavía.": "No indicator data yet.",
    "máximo diario": "daily maximum",
    "familias": "families",
    "Región": "Region",
    "Provincia": "Province",
    "Distrito": "District",
    "Pueblo": "People",
    "Acceso": "Access",
    "Último valor": "Latest value",
    "veces lo usual": "times the usual",
    "Aporte": "Contribution",
    "Peso": "Weight",
    "Ver": "View",
    "Alertas abiertas": "Open alerts",
    "Tipo": "Type",
    "Mapa base": "Base map",
    # Deliveries.
    "Registro de entregas": "Delivery log",
    "Primero los mensajes muertos y con errores.": "Dead and failed messages first.",
    "Canal": "Channel",
    "Intentos": "Attempts",
    "Último error": "Last error",
    "Creado": "Created",
    "Enviado": "Sent",
    "Próximo intento": "Next attempt",
    "Sin mensajes.": "No messages.",
    # Silences.
    "Vigentes y recientes.": "Current and recent.",
    "Inicio": "Start",
    "Fin": "End",
    "Autor": "Author",
    "Motivo": "Reason",
    "Vigente": "Active",
    "Vencido": "Expired",
    "Terminado antes": "Ended early",
    "Sin silencios.": "No silences.",
    "cualquiera": "any",
    # Reference.
    "Datos de referencia": "Reference data",
    "Instituciones": "Institutions",
    "Código": "Code",
    "Nombre": "Name",
    "Rol": "Role",
    "Depende de": "Reports to",
    "Mandatos": "Mandates",
    "Enrutamiento": "Routing",
    "Principal": "Primary",
    "También": "Also",
    "Condición": "Condition",
    "Ficha país COPOLAD": "COPOLAD country fact sheet",
    "países": "countries",
    # Errors.
    "No encontrado": "Not found",
    "No tiene acceso a esta página.": "You have no access to this page.",
    "La página no existe o no puede verla.": "The page does not exist or you cannot see it.",
}

# Closed sets shown on the pages (API values stay English snake_case).
LABELS: dict[str, dict[str, str]] = {
    "level": {
        "none": "sin nivel|none",
        "warning": "advertencia|warning",
        "high": "alto|high",
        "critical": "crítico|critical",
    },
    "status": {
        "open": "abierta|open",
        "acknowledged": "recibida|acknowledged",
        "resolved": "resuelta|resolved",
        "active": "activas|active",
    },
    "event": {
        "raised": "emitida|raised",
        "escalated": "escalada|escalated",
        "deescalated": "desescalada|de-escalated",
        "acknowledged": "recibo acusado|acknowledged",
        "reminded": "recordatorio|reminded",
        "escalated_national": "escalada a nivel nacional|escalated nationally",
        "resolved": "resuelta|resolved",
        "updated": "actualizada|updated",
    },
    "threat": {
        "coca_cultivation": "cultivo de coca|coca cultivation",
        "drug_trafficking": "narcotráfico|drug trafficking",
        "illegal_logging": "tala ilegal|illegal logging",
        "deforestation": "deforestación|deforestation",
        "fire": "fuego|fire",
        "settler_invasion": "invasión de colonos|settler invasion",
        "illegal_mining": "minería ilegal|illegal mining",
        "threat_to_defender": "amenaza a defensores|threat to defenders",
        "armed_presence": "presencia armada|armed presence",
        "all_quiet": "sin novedad|all quiet",
        "other": "otro|other",
    },
    "message": {
        "pending": "pendiente|pending",
        "sending": "enviando|sending",
        "sent": "enviado|sent",
        "dead": "muerto|dead",
        "failed": "con error|failed",
    },
    "channel": {"email": "correo|e-mail", "webhook": "webhook|webhook", "sms": "SMS|SMS"},
    "routing": {"primary": "principal|primary", "also": "también|also"},
    "layer": {
        "reports": "reportes|reports",
        "hotspots": "focos de calor|fire hotspots",
        "deforestation": "deforestación|deforestation",
    },
}


def gettext_for(lang: Lang) -> dict[str, str]:
    """The lookup table a language's templates use (Spanish is the identity)."""
    return EN if lang is Lang.en else {}


def label(lang: Lang, kind: str, value: str | None) -> str:
    """The human word for a closed-set value, e.g. ``label(Lang.es, "level", "high") == "alto"``."""
    if value is None:
        return ""
    pair = LABELS.get(kind, {}).get(value)
    if pair is None:
        return value.replace("_", " ")
    spanish, english = pair.split("|")
    return english if lang is Lang.en else spanish
