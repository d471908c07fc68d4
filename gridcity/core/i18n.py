"""Chinese by default, English on request: the message catalogue and the chooser.

The language is the ``lang`` cookie ("zh" or "en") when set (the pages'
switch); otherwise pages are Chinese, and API calls follow Accept-Language,
defaulting to Chinese.
"""

from __future__ import annotations

from flask import has_request_context, request

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"

MESSAGES: dict[str, dict[str, str]] = {
    # errors
    "bad_request": {"zh": "请求无效：{detail}", "en": "Invalid request: {detail}"},
    "not_found": {"zh": "未找到：{what}", "en": "Not found: {what}"},
    "login_required": {"zh": "请先登录。", "en": "Please sign in first."},
    "forbidden_role": {
        "zh": "您的角色（{role}）无权执行此操作。",
        "en": "Your role ({role}) may not do this.",
    },
    "bad_credentials": {"zh": "用户名或密码错误。", "en": "Wrong user name or password."},
    "outside_city": {
        "zh": "位置（{lon:.6f}, {lat:.6f}）不在本市网格范围内：最近的单元网格是 {nearest_code}，相距 {distance_m:.0f} 米。",
        "en": "Position ({lon:.6f}, {lat:.6f}) is outside the city grid: the nearest unit grid is {nearest_code}, {distance_m:.0f} m away.",
    },
    "no_grids": {"zh": "尚未导入任何单元网格。", "en": "No unit grids have been loaded yet."},
    "bad_position": {
        "zh": "坐标无效：经度应在 -180~180，纬度应在 -90~90（收到 {lon}, {lat}）。",
        "en": "Invalid position: longitude must be -180..180 and latitude -90..90 (got {lon}, {lat}).",
    },
    "bad_geojson": {"zh": "GeoJSON 文件无效：{detail}", "en": "Invalid GeoJSON: {detail}"},
    "bad_datum": {
        "zh": "坐标系 {datum} 不受支持，请使用 wgs84 或 gcj02。",
        "en": "Datum {datum} is not supported; use wgs84 or gcj02.",
    },
    "wrong_crs": {
        "zh": "坐标超出经纬度范围，文件可能不是经纬度坐标（{detail}）。",
        "en": "Coordinates are outside longitude/latitude range; the file is probably not in degrees ({detail}).",
    },
    "duplicate_code": {"zh": "编码重复：{code}", "en": "Duplicate code: {code}"},
    "bad_code": {"zh": "编码 {code} 无效：{detail}", "en": "Code {code} is invalid: {detail}"},
    "unknown_category": {"zh": "未知的类别：{code}", "en": "Unknown category: {code}"},
    "unknown_unit": {"zh": "未知的责任单位：{code}", "en": "Unknown responsible unit: {code}"},
    "unknown_place": {"zh": "未知的区域：{kind} {code}", "en": "Unknown place: {kind} {code}"},
    "no_responsible_unit": {
        "zh": "类别 {category} 在该位置没有责任单位规则。",
        "en": "No responsibility rule for category {category} at this place.",
    },
    "bad_csv": {"zh": "CSV 第 {line} 行无效：{detail}", "en": "CSV line {line} is invalid: {detail}"},
    "conflict": {"zh": "数据冲突：{detail}", "en": "Conflict: {detail}"},
    # case lifecycle
    "stale_case": {
        "zh": "案卷已被他人修改（当前版本 {version}，状态 {state}），请刷新后再操作。",
        "en": "The case was changed by someone else (now version {version}, state {state}); reload and try again.",
    },
    "idempotency_key_taken": {
        "zh": "该上报编号（client_uuid）已被其他上报人使用，请换一个新的编号。",
        "en": "This report id (client_uuid) was used by another reporter; send a new one.",
    },
    "stale_write": {
        "zh": "数据刚被他人修改，请刷新后再操作。",
        "en": "Someone else changed this just now; reload and try again.",
    },
    "illegal_transition": {
        "zh": "案卷当前状态为 {state}，不能执行“{action}”；您可以执行：{allowed}。",
        "en": "The case is {state}; '{action}' is not possible now. You may: {allowed}.",
    },
    "not_your_case": {
        "zh": "案卷 {number} 不在您的职责范围内。",
        "en": "Case {number} is not within your responsibility.",
    },
    "bad_merge": {
        "zh": "不能合并到案卷 {number}（状态 {state}）。",
        "en": "Cannot merge into case {number} (state {state}).",
    },
    "request_pending": {
        "zh": "案卷 {number} 已有待审批的申请。",
        "en": "Case {number} already has a request waiting for approval.",
    },
    "no_pending_request": {
        "zh": "案卷 {number} 没有待审批的申请。",
        "en": "Case {number} has no request waiting for approval.",
    },
    # photos (gridcity.media)
    "photo_empty": {"zh": "照片为空。", "en": "The photo is empty."},
    "photo_too_large": {
        "zh": "照片过大（{size_mb:.1f} MB），上限为 {limit_mb:g} MB。",
        "en": "The photo is too large ({size_mb:.1f} MB); the limit is {limit_mb:g} MB.",
    },
    "photo_type": {
        "zh": "仅支持 JPEG、PNG 或 WebP 格式的照片。",
        "en": "Only JPEG, PNG or WebP photos are accepted.",
    },
    "photo_too_many_pixels": {
        "zh": "照片像素过多，上限为 {limit_mp:g} 百万像素。",
        "en": "The photo has too many pixels; the limit is {limit_mp:g} megapixels.",
    },
    # patrols and the inspectors' app
    "patrol_running": {
        "zh": "您已有一次进行中的巡查（编号 {id}），请先结束它。",
        "en": "You already have a patrol running (no. {id}); stop it first.",
    },
    "patrol_ended": {
        "zh": "巡查 {id} 已结束，不能再添加记录或问题。",
        "en": "Patrol {id} has ended; nothing more can be added to it.",
    },
    "not_your_patrol": {
        "zh": "巡查 {id} 不是您本人的巡查。",
        "en": "Patrol {id} is not your own patrol.",
    },
    "not_your_report": {
        "zh": "案卷 {number} 不是您上报的。",
        "en": "Case {number} is not one you reported.",
    },
    "same_as_refused": {
        "zh": "不能标记为与案卷 {number} 相同：{detail}",
        "en": "Cannot mark it as the same as case {number}: {detail}",
    },
}


def current_language() -> str:
    if not has_request_context():
        return DEFAULT_LANGUAGE
    cookie = request.cookies.get("lang")
    if cookie in LANGUAGES:
        return cookie
    if not request.path.startswith("/api/"):
        return DEFAULT_LANGUAGE  # pages: Chinese unless the user switched
    # API clients may ask (our own pages send their language with each call).
    return request.accept_languages.best_match(LANGUAGES, default=DEFAULT_LANGUAGE)


def translate(key: str, language: str | None = None, **params) -> str:
    entry = MESSAGES.get(key)
    if entry is None:
        return key
    template = entry.get(language or current_language(), entry[DEFAULT_LANGUAGE])
    try:
        return template.format(**params)
    except (KeyError, ValueError):
        return template
