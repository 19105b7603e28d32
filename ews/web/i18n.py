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
    # Alert page: the story.
    "SIMULACRO: esta alerta es de una comunidad sintética (datos de demostración); no es una emergencia real y sus mensajes solo van a direcciones de example.org.": "SIMULACRO (drill): this alert is about a synthetic community (demonstration data); it is not a real emergency and its messages only go to example.org addresses.",
    "Qué pasó": "What happened",
    "Alerta de nivel": "Alert at level",
    "por": "for",
    "en": "in",
    "hora de Lima": "Lima time",
    "hace %(age)s": "%(age)s ago",
    "Último cambio": "Last change",
    "Último aviso enviado": "Last notice sent",
    "Escalada a nivel nacional": "Escalated to national level",
    "Recibo acusado": "Acknowledged",
    "Resuelta": "Resolved",
    "Dónde": "Where",
    "la evidencia en el territorio y su zona de aproximación": "the evidence in the territory and its approach zone",
    "Lo que dijeron los monitores": "What the monitors said",
    "En esta categoría no se muestran las palabras de quienes reportan, por su seguridad.": "In this category the reporters' own words are not shown, for their safety.",
    "Los reportes de esta alerta no traen palabras.": "The reports of this alert carry no words.",
    "Nunca se muestra quién reportó.": "Who reported is never shown.",
    "Qué se pide a cada institución": "What each institution is asked to do",
    "Su papel": "Its role",
    "Qué se le pide": "What it is asked to do",
    "no se avisó: silencio": "not notified: silence",
    "no se avisó": "not notified",
    "Indicador": "Indicator",
    "Lo usual": "Usual",
    "Días que cubre": "Days covered",
    "En el territorio": "In the territory",
    "En la zona de aproximación": "In the approach zone",
    "Reportes de patrulla": "Patrol reports",
    "Fecha y hora": "Date and time",
    "Gravedad": "Severity",
    "Lo que dijo": "What was said",
    "Reporte": "Report",
    "Ver reporte": "See the report",
    "y %(n)s más.": "and %(n)s more.",
    "Focos de calor (FIRMS)": "Fire hotspots (FIRMS)",
    "Satélite": "Satellite",
    "Confianza": "Confidence",
    "Posición": "Position",
    "Alertas de deforestación (GFW)": "Deforestation alerts (GFW)",
    "Fecha": "Date",
    "Producto": "Product",
    "Área (ha)": "Area (ha)",
    "Simulacro: datos sintéticos": "Drill: synthetic data",
    "día": "day",
    # A patrol report.
    "Reporte de patrulla": "Patrol report",
    "Volver": "Back",
    "gravedad": "severity",
    "Observado": "Observed",
    "Recibido": "Received",
    "sin posición": "no position",
    "sin texto": "no text",
    "Quién reportó": "Who reported",
    "Nunca se muestra.": "Never shown.",
    # The overview map.
    "Comunidades y sus alertas abiertas": "Communities and their open alerts",
    "Mapa de las comunidades, coloreadas por su alerta abierta más alta": "Map of the communities, coloured by their highest open alert",
    "alertas abiertas": "open alerts",
    "alerta abierta": "open alert",
    "sin alertas abiertas": "no open alerts",
    "No hay comunidades cargadas.": "No communities loaded.",
    # Mail kept in development.
    "Correo": "Mail",
    "Correo guardado": "Mail kept",
    "El correo no sale de este equipo: no hay servidor SMTP configurado (EWS_SMTP_HOST), así que cada correo se guarda en": "No mail leaves this machine: no SMTP server is configured (EWS_SMTP_HOST), so every e-mail is kept in",
    "Ver el correo guardado": "See the mail kept",
    "Este servicio envía el correo por SMTP; aquí queda lo guardado cuando no había servidor configurado.": "This service sends mail over SMTP; here is what was kept while no server was configured.",
    "Los más recientes primero (hasta": "Newest first (up to",
    "Horas de Lima.": "Lima times.",
    "Para": "To",
    "Asunto": "Subject",
    "Todavía no hay correo guardado.": "No mail kept yet.",
    "De": "From",
    "Primero los mensajes que no se enviarán y los que fallaron. Horas de Lima.": "Messages that will not be sent and failed ones first. Lima times.",
    "Qué pasó y qué hacer": "What happened and what to do",
    "Detalle técnico": "Technical detail",
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
    # Units of the indicator catalog ("count" and "index" need no word after the number).
    "unit": {"count": "|", "index": "|", "ha": "ha|ha", "days": "días|days", "km": "km|km", "percent": "%|%"},
    "confidence": {
        "low": "baja|low",
        "nominal": "nominal|nominal",
        "high": "alta|high",
        "highest": "muy alta|highest",
        "l": "baja|low",
        "n": "nominal|nominal",
        "h": "alta|high",
    },
    "dataset": {
        "gfw_integrated_alerts": "alertas integradas GFW|GFW integrated alerts",
        "umd_glad_landsat_alerts": "GLAD Landsat|GLAD Landsat",
        "umd_glad_sentinel2_alerts": "GLAD Sentinel-2|GLAD Sentinel-2",
        "wur_radd_alerts": "RADD (radar)|RADD (radar)",
    },
    "place": {
        "core": "en el territorio|in the territory",
        "buffer": "en la zona de aproximación|in the approach zone",
        "outside": "fuera de ambos|outside both",
        "unknown": "sin posición|no position",
    },
    "actor": {"system": "el sistema|the system"},
    "muted": {"inhibited": "inhibida por una alerta crítica|inhibited by a critical alert"},
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
