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
        "zh": "坐标系 {datum} 不受支持，请使用 wgs84 或 gcj02（地理图层导入另支持 bd09）。",
        "en": "Datum {datum} is not supported; use wgs84 or gcj02 (geography layers also take bd09).",
    },
    "wrong_crs": {
        "zh": "坐标超出经纬度范围，文件可能不是经纬度坐标（{detail}）。",
        "en": "Coordinates are outside longitude/latitude range; the file is probably not in degrees ({detail}).",
    },
    "duplicate_code": {"zh": "编码重复：{code}", "en": "Duplicate code: {code}"},
    "bad_code": {"zh": "编码 {code} 无效：{detail}", "en": "Code {code} is invalid: {detail}"},
    "unknown_category": {"zh": "未知的类别：{code}", "en": "Unknown category: {code}"},
    "unknown_unit": {"zh": "未知的责任单位：{code}", "en": "Unknown responsible unit: {code}"},
    "photos_required": {
        "zh": "该类别需至少上传 {min} 张照片（现有 {got} 张）。",
        "en": "This category needs at least {min} photo(s) with the report ({got} attached).",
    },
    "bad_min_photos": {
        "zh": "照片数量要求应为 0 到 {max} 之间的整数（收到 {got}）。",
        "en": "The photo requirement must be a whole number from 0 to {max} (got {got}).",
    },
    "unknown_component": {
        "zh": "所选部件不存在，请重新选择。",
        "en": "The chosen component does not exist; choose it again.",
    },
    "component_wrong_category": {
        "zh": "部件 {code} 不属于所选类别“{category_zh}”。",
        "en": "Component {code} is not of the chosen category ({category_en}).",
    },
    "component_too_far": {
        "zh": "部件 {code} 距上报位置 {distance_m:.0f} 米，超过 {max_m:.0f} 米；请到现场附近上报或重新选择部件。",
        "en": "Component {code} is {distance_m:.0f} m from the reported position, beyond {max_m:.0f} m; report near it or choose another component.",
    },
    "unknown_place": {"zh": "未知的区域：{kind} {code}", "en": "Unknown place: {kind} {code}"},
    "no_responsible_unit": {
        "zh": "类别 {category} 在该位置没有责任单位规则。",
        "en": "No responsibility rule for category {category} at this place.",
    },
    # the admin console's categories and responsibility rules
    "rule_not_found": {
        "zh": "该责任规则不存在（可能已被删除）。",
        "en": "This rule does not exist (it may have been removed).",
    },
    "bad_place_kind": {"zh": "请选择一个地点。", "en": "Please choose a place."},
    "rule_unknown_place": {
        "zh": "所选地点不存在（编号 {id}）。",
        "en": "The chosen place does not exist (number {id}).",
    },
    "unknown_unit_grid_code": {
        "zh": "没有编码为 {code} 的单元网格。",
        "en": "There is no unit grid with the code {code}.",
    },
    "category_name_required": {"zh": "名称不能为空。", "en": "A name is required."},
    "category_text_too_long": {"zh": "最多 {max} 个字。", "en": "At most {max} characters."},
    "bad_urgency": {"zh": "请选择“一般”或“紧急”。", "en": "Choose normal or urgent."},
    "bad_deadline_clock": {
        "zh": "请选择计时方式：全天小时、工作小时或工作日。",
        "en": "Choose how the deadline is counted: round-the-clock hours, working hours or working days.",
    },
    "bad_deadline_amount": {
        "zh": "处置时限应为大于 0、不超过 {max} 的数（收到 {got}）。",
        "en": "The handling time must be a number above 0 and at most {max} (got {got}).",
    },
    "bad_warning_fraction": {
        "zh": "预警点应在时限的 0% 以上、100% 以内。",
        "en": "The warning point must lie above 0 % and at most 100 % of the deadline.",
    },
    "bad_duplicate_radius": {
        "zh": "疑似重复半径应为大于 0、不超过 {max} 米的数（收到 {got}）。",
        "en": "The duplicate radius must be above 0 and at most {max} metres (got {got}).",
    },
    "bad_csv": {"zh": "CSV 第 {line} 行无效：{detail}", "en": "CSV line {line} is invalid: {detail}"},
    # overdue risk (gridcity/risk): what a training run says
    "risk_trained": {
        "zh": "超期风险模型已训练：{rows} 件已知结果的派遣，其中 {late} 件超期；留出最近 {days} 天检验，AUC {auc}。",
        "en": "Overdue-risk model trained on {rows} dispatches with a known outcome, {late} of them late; "
        "held-out check on the last {days} days: AUC {auc}.",
    },
    "risk_too_little_history": {
        "zh": "历史案卷不足，暂不评估超期风险：已知结果的派遣 {rows} 件（其中超期 {late} 件），"
        "至少需要 {needed} 件，且超期与按期各至少 {needed_late} 件。",
        "en": "Too little history to assess the overdue risk: {rows} dispatches with a known outcome "
        "({late} late); at least {needed} are needed, with at least {needed_late} late and on time each.",
    },
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
        "zh": "不能合并到案卷 {number}：该案卷{state_zh}，只能合并到在办的案卷。",
        "en": "Cannot merge into case {number}: it is {state_en}; only an open case can take it.",
    },
    "request_pending": {
        "zh": "案卷 {number} 已有待审批的申请。",
        "en": "Case {number} already has a request waiting for approval.",
    },
    "no_pending_request": {
        "zh": "案卷 {number} 没有待审批的申请。",
        "en": "Case {number} has no request waiting for approval.",
    },
    # Open311 GeoReport v2 gateway (gridcity.open311)
    "open311_no_api_key": {
        "zh": "缺少 api_key：提交服务请求需要管理员发放的 API 密钥。",
        "en": "No api_key: filing a request needs an API key issued by the city's administrator.",
    },
    "open311_bad_api_key": {
        "zh": "api_key 无效。",
        "en": "Invalid api_key received.",
    },
    "open311_revoked_api_key": {
        "zh": "该 api_key 已于 {date} 被吊销，请向管理员申请新的密钥。",
        "en": "This api_key was revoked on {date}; ask the administrator for a new one.",
    },
    "open311_key_client": {
        "zh": "请填写客户端名称（1 到 {maximum} 个字符）。",
        "en": "Give the client's name (1 to {maximum} characters).",
    },
    "open311_key_rate": {
        "zh": "每分钟请求上限须为 1 到 {maximum} 之间的整数。",
        "en": "The limit must be a whole number of requests a minute from 1 to {maximum}.",
    },
    "open311_key_not_found": {"zh": "没有编号为 {key_id} 的密钥。", "en": "There is no key number {key_id}."},
    "open311_key_revoked": {
        "zh": "该密钥已吊销，不能再修改请求上限。",
        "en": "This key is revoked: its limit can no longer be changed.",
    },
    "open311_rate_limited": {
        "zh": "该 api_key 每分钟最多 {limit} 次请求，请在 {retry_after} 秒后重试。",
        "en": "This api_key may make at most {limit} requests a minute; try again in {retry_after} s.",
    },
    "open311_no_service_code": {
        "zh": "缺少 service_code（服务代码见 GET services）。",
        "en": "service_code was not provided (see GET services for the codes).",
    },
    "open311_unknown_service": {
        "zh": "未知的 service_code：{code}（服务代码见 GET services）。",
        "en": "Unknown service_code {code} (see GET services for the codes).",
    },
    "open311_no_service": {"zh": "没有服务代码为 {code} 的服务。", "en": "No service has the code {code}."},
    "open311_no_location": {
        "zh": "缺少位置：请提供 lat 和 long，或 address_string，或 address_id（单元网格编码）。",
        "en": "No location: send lat and long, or address_string, or address_id (a unit grid code).",
    },
    "open311_half_position": {
        "zh": "lat 和 long 必须同时提供。",
        "en": "lat and long must be sent together.",
    },
    "open311_bad_number": {
        "zh": "{name} 必须是十进制度数（WGS-84），收到“{value}”。",
        "en": "{name} must be decimal degrees (WGS-84); got '{value}'.",
    },
    "open311_out_of_range": {
        "zh": "坐标超出范围：lat 应在 -90~90，long 应在 -180~180（收到 lat={lat}, long={long}）。",
        "en": "Coordinates out of range: lat must be -90..90 and long -180..180 (got lat={lat}, long={long}).",
    },
    "open311_bad_address_id": {
        "zh": "address_id 应为 {digits} 位单元网格编码，收到“{code}”。",
        "en": "address_id must be a {digits}-digit unit grid code; got '{code}'.",
    },
    "open311_unknown_grid": {
        "zh": "没有编码为 {code} 的单元网格。",
        "en": "No unit grid has the code {code}.",
    },
    "open311_ambiguous_address": {
        "zh": "“{name}”在多个街道都有（{places}），请在 address_string 中同时写明街道。",
        "en": "'{name}' exists in several streets ({places}); name the street in address_string too.",
    },
    "open311_unplaceable_address": {
        "zh": "无法根据 address_string“{text}”定位：请提供 lat/long，或 {digits} 位单元网格编码，或本市社区、街道的名称。",
        "en": "Could not place address_string '{text}': send lat/long, a {digits}-digit unit grid code, or the name of a community or street of this city.",
    },
    "open311_truncated": {
        "zh": "……（原文 {length} 字，超出 4000 字的部分已截去）",
        "en": "… (cut: the original had {length} characters, over the limit of 4,000)",
    },
    "open311_bad_media_url": {
        "zh": "media_url 必须是 http 或 https 网址（收到“{url}”）。",
        "en": "media_url must be an http or https URL (got '{url}').",
    },
    "open311_too_many_media_urls": {
        "zh": "media_url 最多 {limit} 个（收到 {count} 个）。",
        "en": "Send at most {limit} media_url values (got {count}).",
    },
    "open311_missing_field": {"zh": "缺少 {name}。", "en": "{name} was not provided."},
    "open311_bad_update_status": {
        "zh": "status 无效：{value}（可用：{allowed}）。",
        "en": "status '{value}' is not valid; expected one of {allowed}.",
    },
    "open311_empty_update": {
        "zh": "更新须有 description 或 media_url。",
        "en": "An update needs a description or a media_url.",
    },
    "open311_not_your_request": {
        "zh": "服务请求 {number} 不是用此 api_key 提交的，不能为其添加更新。",
        "en": "Service request {number} was not filed with this api_key; only its own requests take its updates.",
    },
    "open311_update_id_taken": {
        "zh": "update_id {update_id} 已用于服务请求 {number}。",
        "en": "update_id {update_id} was already sent for service request {number}.",
    },
    "open311_too_many_ids": {
        "zh": "service_request_id 一次最多 {limit} 个（收到 {count} 个），请分批查询。",
        "en": "At most {limit} service_request_id values per request (got {count}); ask in several requests.",
    },
    "open311_bad_page": {
        "zh": "{name} 须为 1 到 {limit} 之间的整数；收到 '{value}'。",
        "en": "{name} must be a whole number from 1 to {limit}; got '{value}'.",
    },
    "open311_field_too_long": {
        "zh": "{name} 最多 {limit} 个字符。",
        "en": "{name} is limited to {limit} characters.",
    },
    "open311_bad_email": {"zh": "email 格式无效：{value}", "en": "email is not an e-mail address: {value}"},
    "open311_missing_attribute": {
        "zh": "缺少必填属性 attribute[{code}]（{description}），见 GET services/服务代码。",
        "en": "Required attribute[{code}] ({description}) was not provided; see GET services/<service_code>.",
    },
    "open311_bad_attribute": {
        "zh": "属性 attribute[{code}] 的值“{value}”无效，应为：{detail}。",
        "en": "attribute[{code}] = '{value}' is not valid; expected {detail}.",
    },
    "open311_bad_attribute_definition": {
        "zh": "服务属性定义无效：{detail}",
        "en": "Invalid service attribute definition: {detail}",
    },
    "open311_bad_date": {
        "zh": "{name} 必须是 ISO 8601 时间（如 2026-11-30T00:00:00+08:00），收到“{value}”。",
        "en": "{name} must be an ISO 8601 date-time such as 2026-11-30T00:00:00Z; got '{value}'.",
    },
    "open311_date_order": {"zh": "start_date 不能晚于 end_date。", "en": "start_date is after end_date."},
    "open311_span_too_long": {
        "zh": "start_date 与 end_date 的间隔不能超过 90 天。",
        "en": "start_date and end_date may not span more than 90 days.",
    },
    "open311_bad_status": {
        "zh": "status 只能是 open 或 closed（可用逗号分隔），收到“{value}”。",
        "en": "status must be open or closed (comma-separated); got '{value}'.",
    },
    "open311_no_request": {"zh": "没有编号为 {id} 的服务请求。", "en": "No service request has the id {id}."},
    "open311_no_token": {"zh": "没有令牌 {token}。", "en": "No request has the token {token}."},
    "open311_no_resource": {
        "zh": "没有这个 Open311 资源：{path}。可用：discovery、services、services/服务代码、requests、requests/编号、tokens/令牌、servicerequestupdates，后缀 .json 或 .xml。",
        "en": "No such Open311 resource: {path}. There are discovery, services, services/<code>, requests, requests/<id>, tokens/<token> and servicerequestupdates, each ending in .json or .xml.",
    },
    "open311_method": {
        "zh": "{path} 不支持 {method} 方法（可用：{allowed}）。",
        "en": "{path} does not take {method} (allowed: {allowed}).",
    },
    "open311_contact": {
        "zh": "本市数字化城管监督指挥中心（12345 热线）。",
        "en": "The city's digital urban-management supervision and command center (hotline 12345).",
    },
    "open311_key_service": {
        "zh": "提交服务请求需要 API 密钥，由系统管理员为每个客户端发放（gridcity open311 issue-key）。",
        "en": "Filing requests needs an API key; the system administrator issues one per client (gridcity open311 issue-key).",
    },
    "open311_notice": {
        "zh": "已收到。受理后由网格监督员现场核实；立案派遣后，责任单位须在 {amount:g} 个{clock}内处置完毕。",
        "en": "Received. A grid inspector verifies it on site; once it is filed and dispatched, the responsible unit has {amount:g} {clock} to fix it.",
    },
    "open311_clock_emergency_hours": {"zh": "紧急工时", "en": "hours (round the clock)"},
    "open311_clock_working_hours": {"zh": "工作时", "en": "working hours"},
    "open311_clock_working_days": {"zh": "工作日", "en": "working days"},
    "open311_kind_component": {"zh": "部件", "en": "Component"},
    "open311_kind_event": {"zh": "事件", "en": "Event"},
    "open311_group": {"zh": "{kind}·{major}", "en": "{kind}: {major}"},
    "open311_grid": {"zh": "单元网格 {code}", "en": "unit grid {code}"},
    "open311_answers": {"zh": "【Open311 附加信息】", "en": "[Open311 details] "},
    "open311_state_reported": {"zh": "已收到，等待受理。", "en": "Received; waiting to be accepted."},
    "open311_state_verifying": {
        "zh": "已受理，网格监督员正在现场核实。",
        "en": "Accepted; a grid inspector is verifying it on site.",
    },
    "open311_state_accepted": {"zh": "核实属实，等待立案。", "en": "Confirmed; waiting to be filed."},
    "open311_state_filed": {"zh": "已立案，等待派遣。", "en": "Filed; waiting to be dispatched."},
    "open311_state_dispatched": {
        "zh": "已派遣至{unit}，处置时限 {deadline}。",
        "en": "Dispatched to {unit}; due by {deadline}.",
    },
    "open311_state_in_progress": {
        "zh": "{unit}正在处置，时限 {deadline}。",
        "en": "{unit} is working on it; due by {deadline}.",
    },
    "open311_state_handled": {
        "zh": "{unit}报告已处置，等待现场核查。",
        "en": "{unit} reports it fixed; waiting for the on-site check.",
    },
    "open311_state_checked": {
        "zh": "现场核查通过，等待结案。",
        "en": "Checked on site; waiting to be closed.",
    },
    "open311_state_suspended": {
        "zh": "暂缓处置（挂账），复核日期 {review_on}。",
        "en": "Suspended (cannot be fixed now); to be reviewed on {review_on}.",
    },
    "open311_state_closed": {"zh": "已处置并经核查，已结案。", "en": "Fixed, checked on site and closed."},
    "open311_state_voided": {"zh": "已作废：{reason}", "en": "Voided: {reason}"},
    "open311_state_merged": {
        "zh": "与案卷 {number} 为同一问题，已合并办理。",
        "en": "The same problem as case {number}; followed there.",
    },
    "open311_event_report": {"zh": "已收到上报。", "en": "Report received."},
    "open311_event_accept": {"zh": "已受理。", "en": "Accepted."},
    "open311_event_accept_verify": {
        "zh": "已受理，已派网格监督员现场核实。",
        "en": "Accepted; a grid inspector will verify it on site.",
    },
    "open311_event_verify_pass": {"zh": "现场核实属实。", "en": "Confirmed on site."},
    "open311_event_verify_fail": {
        "zh": "现场核实不属实，已作废：{reason}",
        "en": "Not confirmed on site; voided: {reason}",
    },
    "open311_event_file": {"zh": "已立案。", "en": "Filed."},
    "open311_event_void": {"zh": "已作废：{reason}", "en": "Voided: {reason}"},
    "open311_event_merge": {
        "zh": "与案卷 {number} 为同一问题，已合并办理。",
        "en": "The same problem as case {number}; followed there.",
    },
    "open311_event_dispatch": {
        "zh": "已派遣至{unit}，处置时限 {deadline}。",
        "en": "Dispatched to {unit}; due by {deadline}.",
    },
    "open311_event_unit_accept": {"zh": "责任单位已接单。", "en": "The responsible unit has taken it on."},
    "open311_event_handle": {
        "zh": "责任单位报告已处置，等待现场核查。",
        "en": "The responsible unit reports it fixed; an inspector will check on site.",
    },
    "open311_event_check_pass": {"zh": "现场核查通过。", "en": "Checked on site: fixed."},
    "open311_event_check_fail": {
        "zh": "现场核查未通过，已退回责任单位返工。",
        "en": "The on-site check found it not fixed; back to the unit.",
    },
    "open311_event_close": {"zh": "已结案。", "en": "Closed."},
    "open311_event_rework": {
        "zh": "未达结案标准，已退回责任单位返工：{reason}",
        "en": "Not up to the closing standard; back to the unit: {reason}",
    },
    "open311_event_request": {"zh": "责任单位申请{kind}。", "en": "The responsible unit asked for {kind}."},
    "open311_event_decide_approved": {
        "zh": "{kind}申请已批准。",
        "en": "The request for {kind} was approved.",
    },
    "open311_event_decide_refused": {
        "zh": "{kind}申请未获批准。",
        "en": "The request for {kind} was refused.",
    },
    "open311_event_open311_update": {"zh": "市民补充：{text}", "en": "A citizen's update: {text}"},
    "open311_event_open311_not_fixed": {
        "zh": "市民反映问题仍未解决：{text}",
        "en": "A citizen says it is not fixed: {text}",
    },
    "open311_event_resume": {"zh": "恢复处置。", "en": "Work resumed."},
    "open311_event_overdue": {"zh": "已超过处置时限。", "en": "Past its deadline."},
    "open311_request_extension": {"zh": "延期", "en": "more time"},
    "open311_request_suspension": {"zh": "暂缓处置（挂账）", "en": "a suspension"},
    "open311_request_return": {"zh": "退回（非本单位职责）", "en": "a return (not theirs)"},
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
    # privacy
    "citizen_phone_invalid": {
        "zh": "不是有效的电话号码：{value}（只含数字、空格、+、- 和括号，5–20 位数字）",
        "en": "Not a phone number: {value} (digits, spaces, +, - and brackets only; 5–20 digits)",
    },
    "citizen_reason_required": {
        "zh": "删除个人信息须说明理由（例如市民的申请）。",
        "en": "Erasing personal data needs a reason (e.g. the citizen's request).",
    },
    # backup and restore
    "backup_invalid": {
        "zh": "备份文件 {archive} 无效或已被改动（{detail}），未做任何更改",
        "en": "The backup archive {archive} is invalid or was altered ({detail}); nothing was changed",
    },
    "backup_unsupported_database": {
        "zh": "不支持备份或恢复此类数据库：{kind}",
        "en": "Cannot back up or restore this kind of database: {kind}",
    },
    "backup_dump_failed": {
        "zh": "数据库导出失败：{detail}",
        "en": "Dumping the database failed: {detail}",
    },
    "backup_tool_missing": {
        "zh": "找不到 {tool}：请安装 PostgreSQL 客户端工具（版本不低于服务器）",
        "en": "{tool} was not found: install the PostgreSQL client tools (at least the server's version)",
    },
    "backup_wrong_database": {
        "zh": "该备份来自 {archive_kind} 数据库，不能恢复到 {kind} 数据库",
        "en": "The archive holds a {archive_kind} database; it cannot be restored into {kind}",
    },
    "restore_not_empty": {
        "zh": "目标数据库不是空的（{tables} 张表），未做任何更改；确需覆盖请加 --force",
        "en": "The target database is not empty ({tables} tables); nothing was changed. Use --force to overwrite it",
    },
    "restore_unreachable": {
        "zh": "无法连接目标数据库（请先建好空数据库）：{detail}",
        "en": "Cannot reach the target database (create an empty one first): {detail}",
    },
    "restore_load_failed": {
        "zh": "载入数据库失败：{detail}",
        "en": "Loading the database failed: {detail}",
    },
    "restore_digest_mismatch": {
        "zh": "恢复后的案卷历史（{events} 条记录）或照片记录与备份清单不一致",
        "en": "The restored case history ({events} events) or photo rows do not match the archive's manifest",
    },
    # operations: metrics and request logs
    "metrics_forbidden": {
        "zh": "读取监控指标需要持有令牌（Authorization: Bearer，见 GRIDCITY_METRICS_TOKEN）；未设置令牌时只允许本机访问。",
        "en": "Reading the metrics needs the bearer token (Authorization: Bearer, see GRIDCITY_METRICS_TOKEN); "
        "with no token set, only clients on this machine may read them.",
    },
    # outage
    "database_unavailable": {
        "zh": "系统暂时无法访问数据库，您的操作没有完成，请在 {retry_after} 秒后重试（手机上报会留在发件箱里自动重发）。",
        "en": "The system cannot reach its database right now; nothing was done. "
        "Try again in {retry_after} s (reports on the phone stay in the outbox and are sent again).",
    },
    # csrf
    "csrf_failed": {
        "zh": "请求未带有效的页面凭证，未做任何更改。请刷新页面后重试。",
        "en": "The request did not carry this page's valid token; nothing was changed. Reload the page and try again.",
    },
    "cross_origin_refused": {
        "zh": "来自其他网站的请求已被拒绝，未做任何更改。",
        "en": "A request from another site was refused; nothing was changed.",
    },
    # signin
    "sign_in_locked": {
        "zh": "密码错误次数过多，此账号暂时不能登录。请在 {until}（约 {minutes} 分钟后）再试，或请系统管理员解锁。",
        "en": "Too many wrong passwords: this account cannot sign in for now. Try again after {until} "
        "(in about {minutes} min), or ask an administrator to unlock it.",
    },
    "sign_in_address_locked": {
        "zh": "从您的网络登录失败次数过多，请在 {until}（约 {minutes} 分钟后）再试。",
        "en": "Too many failed sign-ins from your network. Try again after {until} (in about {minutes} min).",
    },
    "password_too_short": {
        "zh": "密码至少需要 {minimum} 个字符。",
        "en": "A password needs at least {minimum} characters.",
    },
    "password_too_common": {
        "zh": "这个密码太常见，很容易被猜到，请换一个。",
        "en": "This password is too common and easy to guess; choose another.",
    },
    "password_is_username": {
        "zh": "密码不能与用户名相同。",
        "en": "The password must not be the user name.",
    },
    # people (the admin console, issue 17)
    "username_needed": {"zh": "请填写用户名。", "en": "A user name is needed."},
    "username_taken": {"zh": "用户名 {username} 已被使用。", "en": "The user name {username} is taken."},
    "unknown_role": {"zh": "未知的角色：{role}", "en": "Unknown role: {role}"},
    "unit_needed": {"zh": "该角色（{role_zh}）需要选择所属责任单位。", "en": "A {role_en} needs a unit."},
    "unit_not_for_role": {
        "zh": "只有责任单位人员和单位主管属于某个责任单位，请不要为其他角色选择单位。",
        "en": "Only unit handlers and unit supervisors belong to a unit; choose none for other roles.",
    },
    "work_grids_not_for_role": {
        "zh": "只有监督员才分配工作网格。",
        "en": "Not an inspector: only inspectors are given work grids.",
    },
    "unknown_work_grids": {"zh": "未知的工作网格：{codes}", "en": "Unknown work grid(s): {codes}"},
    "user_not_found": {"zh": "未找到该人员。", "en": "No such person."},
    "cannot_demote_self": {
        "zh": "不能取消您自己的系统管理员角色（请由另一位管理员操作）。",
        "en": "You cannot take away your own administrator role (ask another administrator).",
    },
    "cannot_deactivate_self": {
        "zh": "不能停用您自己的账号。",
        "en": "You cannot deactivate your own account.",
    },
    "wrong_old_password": {"zh": "原密码不正确。", "en": "The current password is wrong."},
    "password_unchanged": {
        "zh": "新密码不能与原密码相同。",
        "en": "The new password must differ from the current one.",
    },
    "passwords_differ": {
        "zh": "两次输入的新密码不一致。",
        "en": "The two new passwords differ.",
    },
    "password_change_required": {
        "zh": "管理员已重置您的密码：请先修改密码，然后才能继续使用系统。",
        "en": "An administrator reset your password: change it before you go on.",
    },
    "import_too_large": {
        "zh": "文件太大（上限 {limit}）。",
        "en": "The file is too large (at most {limit}).",
    },
    "import_empty": {"zh": "文件中没有人员。", "en": "The file holds no people."},
    "import_bad_file": {
        "zh": "无法读取该文件：请上传 CSV（UTF-8 或 GBK）或 XLSX 文件。",
        "en": "The file cannot be read: upload a CSV (UTF-8 or GBK) or XLSX file.",
    },
    "import_missing_columns": {
        "zh": "缺少列：{columns}（第一行应为列名）。",
        "en": "Missing columns: {columns} (the first row names the columns).",
    },
    "import_too_many_rows": {"zh": "一次最多导入 {limit} 行。", "en": "At most {limit} rows at a time."},
    "import_missing_value": {"zh": "“{column}”未填写。", "en": "“{column}” is empty."},
    "import_unknown_role": {"zh": "未知的角色：{role}", "en": "Unknown role: {role}"},
    "import_repeated_username": {
        "zh": "用户名 {username} 与第 {line} 行重复。",
        "en": "The user name {username} repeats line {line}.",
    },
    "import_has_errors": {
        "zh": "第 {lines} 行有错误，未导入任何人员。",
        "en": "Lines {lines} have errors; no one was imported.",
    },
    # the working calendar (工作日历)
    "calendar_bad_time": {
        "zh": "时间“{text}”无效，请写成 08:30 这样的时:分。",
        "en": "The time “{text}” is not valid; write hours:minutes, e.g. 08:30.",
    },
    "calendar_no_periods": {"zh": "至少需要一个办公时段。", "en": "At least one office period is needed."},
    "calendar_period_order": {
        "zh": "办公时段 {period} 的结束时间须晚于开始时间。",
        "en": "The office period {period} must end after it starts.",
    },
    "calendar_period_overlap": {
        "zh": "办公时段 {first} 与 {second} 重叠。",
        "en": "The office periods {first} and {second} overlap.",
    },
    "calendar_bad_date": {
        "zh": "日期“{text}”无效，请写成 2027-01-01 这样的年-月-日。",
        "en": "The date “{text}” is not valid; write year-month-day, e.g. 2027-01-01.",
    },
    "calendar_bad_kind": {
        "zh": "类型“{text}”无效：应为“放假”或“上班”（或 holiday / workday）。",
        "en": "The kind “{text}” is not valid: write holiday or workday (or 放假 / 上班).",
    },
    "calendar_name_needed": {
        "zh": "请填写名称，例如“春节”。",
        "en": "Give the day a name, e.g. Spring Festival.",
    },
    "calendar_name_too_long": {
        "zh": "名称最多 {limit} 个字。",
        "en": "A name has at most {limit} characters.",
    },
    "calendar_workday_not_rest": {
        "zh": "{day} 本来就是工作日：调休上班日只能设在休息日（周末）。",
        "en": "{day} is a working day anyway: a make-up workday can only be a rest day (a weekend day).",
    },
    "calendar_day_not_marked": {
        "zh": "{day} 没有节假日或调休上班标记。",
        "en": "{day} is marked neither as a holiday nor as a make-up workday.",
    },
    "calendar_bad_year": {
        "zh": "年份应为 {first} 到 {last} 之间的整数。",
        "en": "The year must be a whole number from {first} to {last}.",
    },
    "calendar_wrong_year": {"zh": "{day} 不在 {year} 年内。", "en": "{day} is not in {year}."},
    "calendar_repeated_day": {"zh": "{day} 与第 {line} 行重复。", "en": "{day} repeats line {line}."},
    "calendar_both_kinds": {
        "zh": "{day} 在第 {line} 行另有安排：同一天不能既放假又上班。",
        "en": "{day} is also on line {line} with the other kind: a day cannot be both a holiday and a workday.",
    },
    "calendar_import_empty": {"zh": "文件中没有日期。", "en": "The file holds no dates."},
    "calendar_import_bad_file": {
        "zh": "无法读取该文件：请上传 CSV（UTF-8 或 GBK）或 JSON 文件。",
        "en": "The file cannot be read: upload a CSV (UTF-8 or GBK) or JSON file.",
    },
    "calendar_import_columns": {
        "zh": "CSV 第一行应为列名：日期、类型、名称（或 date, kind, name）。",
        "en": "The CSV's first row names the columns: date, kind, name (or 日期, 类型, 名称).",
    },
    "calendar_import_errors": {
        "zh": "第 {lines} 行有问题，未保存任何日期。",
        "en": "Lines {lines} have problems; nothing was saved.",
    },
    # live
    "intake_overloaded": {
        "zh": "服务器繁忙，暂未受理这次上报，请在 {retry_after} 秒后重试。",
        "en": "The server is busy; the report was not taken yet. Try again in {retry_after} s.",
    },
    # schemas
    "idempotency_key_reused": {
        "zh": "此幂等键（Idempotency-Key）已用于另一份上报（案卷 {number}），内容不同：请为新上报使用新的键。",
        "en": "This Idempotency-Key was already used for a different report (case {number}): "
        "send a new report with a new key.",
    },
    "extension_too_long": {
        "zh": "延期时长（extra_amount）{amount} 超过上限 {max}。",
        "en": "The extension (extra_amount) of {amount} exceeds the maximum of {max}.",
    },
    "photo_file_missing": {
        "zh": "照片 {id} 的文件已不存在。",
        "en": "The file of photo {id} is missing.",
    },
    # scorecard appeals (考核申诉)
    "appeal_not_yours": {
        "zh": "只能对本人（或本单位）的考核数据申诉。",
        "en": "You can only appeal figures of your own (or of your unit).",
    },
    "appeal_not_decider": {
        "zh": "申诉由考核办（管理者）受理或驳回。",
        "en": "Appeals are accepted or rejected by the assessment office (managers).",
    },
    "appeal_bad_figure": {
        "zh": "“{figure}”是由其他数据合计得出的，不能单独申诉；请对其组成数据申诉。",
        "en": "“{figure}” cannot be appealed on its own (it adds up other figures); appeal one of its parts.",
    },
    "appeal_month_not_frozen": {
        "zh": "{month} 的考核结果尚未冻结，冻结后才能申诉。",
        "en": "The scorecards of {month} are not frozen yet; appeals open once they are.",
    },
    "appeal_window_closed": {
        "zh": "{month} 的申诉期（月结后 {days} 个工作日）已于 {closed} 截止。",
        "en": "Appeals on {month} closed at {closed} ({days} working days after the month).",
    },
    "appeal_case_not_found": {"zh": "未找到该案卷。", "en": "No such case."},
    "appeal_not_found": {"zh": "未找到该申诉。", "en": "No such appeal."},
    "appeal_not_counted": {
        "zh": "案卷 {number} 不在{subject}的“{figure}”中，不能对此申诉。",
        "en": "Case {number} is not counted in “{figure}” of {subject}; there is nothing to appeal.",
    },
    "appeal_duplicate": {
        "zh": "案卷 {number} 的“{figure}”已提出过申诉（{state}），不能重复申诉。",
        "en": "Case {number} has already been appealed in “{figure}” ({state}); it cannot be appealed twice.",
    },
    "appeal_decided": {
        "zh": "此申诉已处理（{state}），不能再次处理。",
        "en": "This appeal has already been decided ({state}).",
    },
    "check_reason_required": {
        "zh": "核查不通过须填写原因，处置单位将据此返工。",
        "en": "A failed check needs a reason: the unit reworks the case by it.",
    },
    "appeal_reason_required": {"zh": "请填写申诉理由。", "en": "Please give the reason for the appeal."},
    "appeal_note_required": {
        "zh": "驳回申诉时请填写处理意见。",
        "en": "Please write a note saying why the appeal is rejected.",
    },
    # scorecards: exports
    "pdf_font_missing": {
        "zh": "无法生成 PDF：找不到中文字体文件 {path}。请安装 fonts-wqy-microhei 字体包，"
        "或用 GRIDCITY_PDF_FONT_PATH 指定一个 TrueType 字体文件。",
        "en": "Cannot make the PDF: the Chinese font file {path} is missing. Install the "
        "fonts-wqy-microhei package or point GRIDCITY_PDF_FONT_PATH at a TrueType font.",
    },
    # hotline intake (热线受理)
    "hotline_unknown_channel": {
        "zh": "未知的受理渠道：{code}（可选：{known}）。",
        "en": "Unknown intake channel: {code} (known: {known}).",
    },
    "hotline_phone_required": {
        "zh": "来电人要求回复，请填写联系电话。",
        "en": "The caller wants a callback: please give their phone number.",
    },
    "hotline_description_required": {
        "zh": "请填写来电反映的问题。",
        "en": "Please describe the problem the caller reports.",
    },
    "hotline_join_finished": {
        "zh": "案卷 {number} 已办结或已作废，不能并入；请登记为新案卷。",
        "en": "Case {number} is finished (closed or voided); file the call as a new case instead.",
    },
    "hotline_no_call": {
        "zh": "案卷 {number} 没有热线来电记录，无需回复或回访。",
        "en": "Case {number} has no hotline call to reply to or follow up.",
    },
    "hotline_reply_required": {
        "zh": "请填写答复来电人的内容。",
        "en": "Please write what the caller was told.",
    },
    "hotline_bad_satisfaction": {
        "zh": "请选择来电人的满意度：满意、基本满意或不满意。",
        "en": "Choose the caller's satisfaction: satisfied, basically satisfied or dissatisfied.",
    },
    "hotline_follow_up_too_early": {
        "zh": "案卷 {number} 尚未办结（结案或作废），办结后才能回访。",
        "en": "Case {number} is not finished yet (closed or voided); follow up once it is.",
    },
    "hotline_no_callback": {
        "zh": "案卷 {number} 的来电人不要求回复，无需回访。",
        "en": "The callers of case {number} did not want a callback; there is no follow-up call to make.",
    },
    "geocode_too_short": {
        "zh": "请至少输入 {min} 个字再查找地址。",
        "en": "Type at least {min} characters to look up an address.",
    },
    "geocode_not_found": {
        "zh": "找不到“{text}”：请输入街道、社区或工作网格的名称，单元网格编码或部件编码，或直接在地图上点选位置。",
        "en": "Nothing found for “{text}”: type a street, community or work grid name, a unit grid or "
        "component code, or click the place on the map.",
    },
    # urge and escalate (催办 / 督办)
    "urge_reason_required": {
        "zh": "催办须填写催办事由，处置单位将看到这条留言。",
        "en": "An urging needs a short message: the unit sees it.",
    },
    "urge_reason_too_long": {
        "zh": "催办事由最多 {max} 个字。",
        "en": "The urging message may have at most {max} characters.",
    },
    # the reporter hears of them through Open311 (the center's message stays inside)
    "open311_event_urge": {"zh": "已催办责任单位。", "en": "The unit has been urged."},
    "open311_event_escalate": {
        "zh": "超期未处置，已督办至责任单位负责人。",
        "en": "Overdue and not handled: escalated to the unit's head.",
    },
    # find any case (案卷查询)
    "search_query_too_short": {
        "zh": "查询内容太短：案卷号至少输入末 {least} 位数字，文字至少 {least} 个字。",
        "en": "Too short to search: type at least the last {least} digits of a number, or {least} characters of text.",
    },
    "search_query_too_long": {
        "zh": "查询内容太长：最多 {most} 个字符。",
        "en": "Too long to search: at most {most} characters.",
    },
    "search_bad_state": {
        "zh": "没有这种案卷状态：{value}。",
        "en": "There is no such case state: {value}.",
    },
    "search_unknown_unit_grid": {
        "zh": "没有编码为 {code} 的单元网格。",
        "en": "There is no unit grid with the code {code}.",
    },
    "search_unknown_category": {
        "zh": "没有编码为 {code} 的案件类别。",
        "en": "There is no category with the code {code}.",
    },
    "search_bad_date": {
        "zh": "上报时间“{value}”不是有效日期：请写成 2025-06-01 或 2025-06-01T08:00。",
        "en": "The report time “{value}” is not a date: write it as 2025-06-01 or 2025-06-01T08:00.",
    },
    "search_bad_period": {
        "zh": "上报时间的起点必须早于终点。",
        "en": "The start of the report period must come before its end.",
    },
    # the case drawer: evidence first, merge by number
    "case_number_unknown": {
        "zh": "没有编号为 {number} 的案卷，请核对案卷编号。",
        "en": "There is no case numbered {number}; check the case number.",
    },
    "merge_into_itself": {
        "zh": "案卷 {number} 不能合并到它自己，请填写另一件案卷的编号。",
        "en": "Case {number} cannot be merged into itself; give another case's number.",
    },
    "merge_number_required": {
        "zh": "请填写要合并到的案卷编号。",
        "en": "Give the number of the case to merge into.",
    },
    # the basemap (issue 15 item 6)
    "basemap_unavailable": {
        "zh": "底图不可用：仅显示本系统的网格与部件。",
        "en": "No basemap available: only our own grids and components are shown.",
    },
    # proactive tasks (主动治理, issue 20 item 3)
    "proactive_title_required": {
        "zh": "请填写任务名称（例如“沙头角第2社区小广告集中清理”）。",
        "en": 'Give the task a title (e.g. "clean-up of small ads in 沙头角第2社区").',
    },
    "proactive_text_too_long": {
        "zh": "任务名称最多 {title} 个字，说明最多 {details} 个字。",
        "en": "The title may have at most {title} characters and the description {details}.",
    },
    "proactive_basis_kind": {
        "zh": "任务须依据热点或反复发生问题发起。",
        "en": "A task is raised from a hotspot or a recurring problem.",
    },
    "proactive_basis_ref": {
        "zh": "缺少依据（热点或反复发生问题）的编号，或编号超过 {max} 个字符。",
        "en": "The hotspot's or recurrence's reference is missing or longer than {max} characters.",
    },
    "proactive_no_cases": {
        "zh": "请至少列出一件依据案卷。",
        "en": "List at least one case the task is based on.",
    },
    "proactive_too_many_cases": {
        "zh": "依据案卷最多 {max} 件。",
        "en": "A task may be based on at most {max} cases.",
    },
    "proactive_unknown_cases": {
        "zh": "依据案卷不存在或不在您的职责范围内：{ids}。",
        "en": "These basis cases do not exist or are outside your responsibility: {ids}.",
    },
    "proactive_foreign_cases": {
        "zh": "以下报告已并入其他案卷，不能单独作为依据，请以其并入的案卷为依据：{numbers}。",
        "en": "These reports were merged into other cases and are no basis of their own; "
        "cite the cases they joined: {numbers}.",
    },
    "proactive_category_required": {
        "zh": "依据案卷的类别不一致，请选择任务的类别。",
        "en": "The basis cases differ in category: choose the task's category.",
    },
    "proactive_deadline_past": {
        "zh": "处置时限须晚于现在。",
        "en": "The deadline must lie in the future.",
    },
    # 部件 console (issue 17 item 5): the import's row problems, editing one component, the map.
    "component_unknown_class": {
        "zh": "“{code}”不是已知的部件类别（小类编码，如 C0101）。",
        "en": "“{code}” is not a known component class (a class code such as C0101).",
    },
    "component_unknown_major": {
        "zh": "未知的部件大类：{code}。",
        "en": "Unknown component major class: {code}.",
    },
    "component_not_a_point": {
        "zh": "位置不是一个点（每个部件须是一个 Point）。",
        "en": "The position is not a point (each component must be a Point).",
    },
    "component_bad_position": {
        "zh": "经纬度须为数字（收到 {lon}, {lat}）。",
        "en": "Longitude and latitude must be numbers (got {lon}, {lat}).",
    },
    "component_outside_city": {
        "zh": "位置 {lon}, {lat} 不在本市的单元网格内。",
        "en": "The position {lon}, {lat} is outside the city's unit grids.",
    },
    "component_bad_state": {
        "zh": "状态“{state}”无效，应为：完好、破损、丢失或占用。",
        "en": "State “{state}” is not valid; use intact, damaged, lost or occupied.",
    },
    "component_unknown_owner": {
        "zh": "权属单位编码“{code}”不存在。",
        "en": "There is no unit with the code “{code}” (owner).",
    },
    "component_unknown_maintainer": {
        "zh": "养护单位编码“{code}”不存在。",
        "en": "There is no unit with the code “{code}” (maintainer).",
    },
    "component_bad_date": {
        "zh": "安装日期“{date}”无效，日期写作 2020-05-01。",
        "en": "Installation date “{date}” is not valid; a date is written 2020-05-01.",
    },
    "component_date_in_future": {
        "zh": "安装日期 {date} 还没到。",
        "en": "The installation date {date} is in the future.",
    },
    "component_bad_code": {
        "zh": "部件编码“{code}”无效：只能是字母和数字，最多 {max} 位。",
        "en": "Component code “{code}” is not valid: letters and digits only, at most {max}.",
    },
    "component_code_repeated": {
        "zh": "部件编码 {code} 与第 {line} 行重复。",
        "en": "Component code {code} repeats line {line}.",
    },
    "component_code_taken": {
        "zh": "部件编码 {code} 已在部件清单中。",
        "en": "Component code {code} is already in the inventory.",
    },
    "component_import_missing_columns": {
        "zh": "CSV 缺少列：{columns}（必需列：category、lon、lat）。",
        "en": "The CSV lacks the column(s) {columns} (required: category, lon, lat).",
    },
    "component_import_empty": {"zh": "文件中没有部件。", "en": "The file holds no components."},
    "component_import_has_errors": {
        "zh": "第 {lines} 行有问题（共 {count} 行），未导入任何部件。第一个问题：{first}",
        "en": "Lines {lines} have problems ({count} in all); no component was imported. The first: {first}",
    },
    "component_import_has_errors_features": {
        "zh": "第 {lines} 个要素有问题（共 {count} 个），未导入任何部件。第一个问题：{first}",
        "en": "Features {lines} have problems ({count} in all); no component was imported. The first: {first}",
    },
    "component_import_bad_file": {
        "zh": "无法读取该文件：请上传 UTF-8 或 GB18030 编码的 CSV，或 GeoJSON 文件。",
        "en": "This file cannot be read: upload a CSV (UTF-8 or GB18030) or a GeoJSON file.",
    },
    "component_import_too_large": {
        "zh": "文件过大，一次最多 {limit}。",
        "en": "The file is too large; at most {limit} at a time.",
    },
    "component_not_found": {"zh": "部件 {code} 不存在。", "en": "There is no component {code}."},
    "component_bad_bbox": {
        "zh": "地图范围无效：应为 西,南,东,北 四个经纬度数字。",
        "en": "Invalid map area: give west,south,east,north as four numbers in degrees.",
    },
    # organisation: units, areas, work groups, work grids (issue 17 item 2)
    "unit_not_found": {"zh": "未找到该责任单位。", "en": "No such responsible unit."},
    "unit_bad_code": {
        "zh": "单位编码须为 1–30 位字母、数字、“-”或“_”，且以字母或数字开头。",
        "en": "A unit code is 1–30 letters, digits, “-” or “_”, starting with a letter or digit.",
    },
    "unit_name_required": {"zh": "请填写名称。", "en": "A name is needed."},
    "unit_text_too_long": {"zh": "最多 {max} 个字符。", "en": "At most {max} characters."},
    "unit_bad_phone": {
        "zh": "联系电话只能包含数字、空格、“+”、“-”和括号。",
        "en": "A phone number holds only digits, spaces, “+”, “-” and brackets.",
    },
    "unit_bad_kind": {"zh": "请选择单位类型。", "en": "Choose the kind of unit."},
    "unit_unknown_street": {"zh": "未知的街道。", "en": "Unknown street."},
    "unit_still_routed": {
        "zh": "仍有 {count} 条责任规则指向该单位，停用后这些案件将无人处置。请先在“责任规则”中改派：{rules}",
        "en": "{count} responsibility rule(s) still route cases to this unit, which would then reach no one. "
        "Reassign them under Responsibility rules first: {rules}",
    },
    "org_name_required": {"zh": "请填写名称。", "en": "A name is needed."},
    "org_text_too_long": {"zh": "最多 {max} 个字符。", "en": "At most {max} characters."},
    "org_bad_code": {
        "zh": "编码须为 1–{max} 个字符，不含空格。",
        "en": "A code is 1–{max} characters without spaces.",
    },
    "org_unknown_person": {
        "zh": "没有启用中的用户 {username}。",
        "en": "No active user is called {username}.",
    },
    "org_person_role": {
        "zh": "{username} 不能担任：片区长和组长须是管理者或监督员。",
        "en": "{username} cannot lead: an area head or group leader is a manager or an inspector.",
    },
    "org_unknown_area": {"zh": "请选择片区。", "en": "Choose an area."},
    "org_unknown_work_group": {"zh": "未知的工作小组。", "en": "Unknown work group."},
    "org_group_other_area": {
        "zh": "该工作小组属于另一个片区。",
        "en": "That work group belongs to another area.",
    },
    "area_not_found": {"zh": "未找到该片区。", "en": "No such area."},
    "work_group_not_found": {"zh": "未找到该工作小组。", "en": "No such work group."},
    "work_grid_not_found": {"zh": "未找到该工作网格。", "en": "No such work grid."},
    "org_unknown_unit_grids": {"zh": "未知的单元网格：{ids}", "en": "Unknown unit grid(s): {ids}"},
    "org_too_many_unit_grids": {
        "zh": "一次最多选择 {max} 个单元网格。",
        "en": "At most {max} unit grids at a time.",
    },
    "org_moves_need_confirm": {
        "zh": "部分单元网格现属其他工作网格，保存会将其移出：{moves}。请确认移动后再保存。",
        "en": "Some unit grids belong to another work grid and would leave it: {moves}. "
        "Confirm the move to save.",
    },
    # assessment settings as versions (考核设置, issue 17 item 6)
    "settings_weights_not_100": {
        "zh": "{tier}：各指标权重合计 {total} %，应为 100 %。",
        "en": "{tier_en}: the weights add up to {total} %, not 100 %.",
    },
    "settings_band_repeated": {
        "zh": "等级“{grade}”重复或为空。",
        "en": "Grade “{grade}” is repeated or empty.",
    },
    "settings_band_range": {
        "zh": "等级 {grade} 的下限须在 0 到 100 分之间。",
        "en": "Grade {grade} must start between 0 and 100 points.",
    },
    "settings_band_order": {
        "zh": "等级须从高到低排列、互不重叠：{grade} 的下限 {min} 分不低于 {above} 的下限。",
        "en": "Grades go from the highest down without overlap: {grade} starts at {min}, not below {above}.",
    },
    "settings_band_bottom": {"zh": "最低等级须从 0 分起。", "en": "The lowest grade must start at 0."},
    "settings_card_last_places": {
        "zh": "黄牌“末位”须为 1 名或以上的整数名次。",
        "en": "The yellow card's last places must be a whole number of 1 or more.",
    },
    "settings_card_consecutive": {
        "zh": "红牌“连续黄牌”须为 2 个月或以上的整数月数。",
        "en": "The red card's yellows in a row must be a whole number of 2 months or more.",
    },
    "settings_card_below": {
        "zh": "黄牌“低于”分数不能超过 100 分。",
        "en": "The yellow card's score threshold cannot be above 100.",
    },
    "settings_effective_bad": {
        "zh": "生效月份须为“年-月”，如 2027-01。",
        "en": "The effective month must be a year and month, e.g. 2027-01.",
    },
    "settings_effective_frozen": {
        "zh": "生效月份不能早于 {first}：之前的月份已冻结，已冻结的月份不再改变。",
        "en": "The effective month cannot be before {first}: the months before it are frozen, "
        "and a frozen month never changes.",
    },
    "settings_effective_order": {
        "zh": "已有版本自 {month} 起生效，新版本须自 {month} 或之后生效。",
        "en": "A version takes effect from {month}: a new one must take effect from {month} or later.",
    },
    "settings_note_required": {"zh": "请填写变更说明。", "en": "Please say why (a note) for this version."},
    "settings_note_too_long": {
        "zh": "变更说明不能超过 {max} 字。",
        "en": "The note may have at most {max} characters.",
    },
    "settings_unchanged": {
        "zh": "草稿与当前版本（第 {version} 版）相同，没有需要保存的变更。",
        "en": "The draft is the same as the current version ({version}): nothing to save.",
    },
    "settings_formula_required": {"zh": "请填写公式。", "en": "Please write the formula."},
    "settings_formula_words": {
        "zh": "公式中的“{word}”不是本层级可用的统计项。",
        "en": "“{word}” in the formula is no count of this tier.",
    },
    "settings_stale": {
        "zh": "在您编辑期间已有人保存了第 {version} 版，请重新打开本页后再修改。",
        "en": "Someone saved version {version} while you were editing: open the page again and redo your change.",
    },
    "settings_number": {"zh": "“{what}”须为数字。", "en": "“{what}” must be a number."},
    # The citizens' app (随手拍, issue 18 items 1, 2, 5: gridcity/public).
    "p_code_message": {
        "zh": "【城市管理】您的验证码是 {code}，{minutes} 分钟内有效。请勿告诉他人。",
        "en": "[City management] Your code is {code}, valid for {minutes} minutes. Do not share it.",
    },
    "p_code_expired": {
        "zh": "验证码已过期或不存在，请重新获取。",
        "en": "The code has expired or was never sent. Please ask for a new one.",
    },
    "p_code_attempts": {
        "zh": "验证码输错次数太多，请重新获取。",
        "en": "Too many wrong tries. Please ask for a new code.",
    },
    "p_code_wrong": {
        "zh": "验证码不对，还可以再试 {left} 次。",
        "en": "That code is not right. {left} tries left.",
    },
    "p_sms_failed": {
        "zh": "短信暂时发不出去，请稍后再试。",
        "en": "The text message could not be sent just now. Please try again later.",
    },
    "p_blocked": {
        "zh": "这个手机号已被暂停上报。如有疑问，请拨打 12345 热线。",
        "en": "Reports from this phone number are suspended. Call the 12345 hotline if you think this is wrong.",
    },
    "p_limit_codes": {
        "zh": "验证码请求太频繁了（每小时最多 {limit} 次），请稍后再试。",
        "en": "Too many codes asked for (at most {limit} an hour). Please try again later.",
    },
    "p_limit_codes_address": {
        "zh": "这个网络一小时内请求的验证码太多了（最多 {limit} 次），请稍后再试。",
        "en": "Too many codes asked for from this network this hour (at most {limit}). Please try again later.",
    },
    "p_limit_phone_hour": {
        "zh": "您这一小时的上报已达 {limit} 条，请稍后再报。紧急情况请拨打 12345。",
        "en": "You have sent {limit} reports this hour. Please wait a little; for an emergency call 12345.",
    },
    "p_limit_phone_day": {
        "zh": "您今天的上报已达 {limit} 条，明天再报吧。紧急情况请拨打 12345。",
        "en": "You have sent {limit} reports today. Please continue tomorrow; for an emergency call 12345.",
    },
    "p_limit_address": {
        "zh": "这个网络一小时内的上报太多了（最多 {limit} 条），请稍后再试。",
        "en": "Too many reports from this network this hour (at most {limit}). Please try again later.",
    },
    "p_block_reason": {"zh": "请写明拉黑原因。", "en": "Please give the reason for blocking."},
    "p_not_blocked": {"zh": "手机号 {phone} 不在黑名单上。", "en": "The phone {phone} is not blocked."},
    "p_unknown_category": {
        "zh": "请从列表里选择问题类型。",
        "en": "Please choose the kind of problem from the list.",
    },
    "p_position_required": {
        "zh": "请定位或在地图上点选问题所在位置。",
        "en": "Please share your position or tap the place on the map.",
    },
    "p_too_many_photos": {"zh": "照片最多 {max} 张。", "en": "At most {max} photos."},
    "p_sign_in_first": {
        "zh": "请先用手机号和验证码确认身份。",
        "en": "Please confirm your phone number with a code first.",
    },
    "p_no_such_case": {"zh": "没有找到这个问题。", "en": "That problem was not found."},
    "p_case_finished": {
        "zh": "这个问题已经办结，请另行上报。",
        "en": "That problem is already finished. Please make a new report.",
    },
    "p_no_such_link": {
        "zh": "这个链接无效。请检查是否完整复制。",
        "en": "This link is not valid. Please check it was copied whole.",
    },
    "p_no_such_photo": {"zh": "没有这张照片。", "en": "No such photo."},
    "p_me_too_note": {
        "zh": "又有市民反映了这个问题（我也遇到）。",
        "en": "Another citizen reported this problem (me too).",
    },
    "p_notice_message": {
        "zh": "【城市管理】您反映的问题 {number}：{step} 查看进度：{link}",
        "en": "[City management] Your report {number}: {step} Follow it: {link}",
    },
    "p_status_received": {"zh": "已收到", "en": "Received"},
    "p_status_verifying": {"zh": "正在现场核实", "en": "Being checked on site"},
    "p_status_accepted": {"zh": "已受理", "en": "Accepted"},
    "p_status_dispatched": {"zh": "已交办处置单位", "en": "Sent to the responsible unit"},
    "p_status_suspended": {"zh": "暂缓处理", "en": "On hold"},
    "p_status_in_progress": {"zh": "正在处理", "en": "Being fixed"},
    "p_status_handled": {"zh": "已处理，等待核查", "en": "Fixed, waiting for the check"},
    "p_status_checked": {"zh": "已核查，即将办结", "en": "Checked, about to be closed"},
    "p_status_closed": {"zh": "已办结", "en": "Closed"},
    "p_status_invalid": {"zh": "无效上报", "en": "Not taken up"},
    "p_status_merged": {"zh": "已与同一问题合并", "en": "Joined to the same problem"},
    "p_invalid_duplicate": {
        "zh": "已有人反映过同一个问题，会一并处理。",
        "en": "The same problem was already reported; it is handled there.",
    },
    "p_invalid_not_ours": {
        "zh": "这个问题不属于城市管理的职责范围，请联系相关部门或拨打 12345。",
        "en": "This problem is outside city management's remit; please contact the body in charge or call 12345.",
    },
    "p_invalid_fabricated": {
        "zh": "经现场核实，情况与上报不符。",
        "en": "Checked on site: the situation is not as reported.",
    },
    "p_invalid_other": {
        "zh": "经核实，不符合立案标准。",
        "en": "Checked: it does not meet the standard for a case.",
    },
    "p_step_report": {"zh": "问题已上报。", "en": "The problem was reported."},
    "p_step_me_too": {"zh": "又有市民反映了这个问题。", "en": "Another citizen reported it too."},
    "p_step_add_call": {"zh": "又有市民来电反映了这个问题。", "en": "Another citizen called about it."},
    "p_step_accept": {"zh": "已受理。", "en": "Accepted."},
    "p_step_verify_pass": {"zh": "工作人员已到现场核实。", "en": "Checked on site."},
    "p_step_verify_fail": {
        "zh": "现场核实未发现该问题。",
        "en": "The check on site did not find the problem.",
    },
    "p_step_file": {"zh": "已立案。", "en": "Registered as a case."},
    "p_step_dispatch": {"zh": "已交办处置单位。", "en": "Sent to the responsible unit."},
    "p_step_unit_accept": {"zh": "处置单位已接手。", "en": "The unit took it on."},
    "p_step_handle": {"zh": "处置单位报告已处理。", "en": "The unit reports it fixed."},
    "p_step_check_pass": {"zh": "现场核查确认已处理。", "en": "A check on site confirmed the fix."},
    "p_step_check_fail": {
        "zh": "现场核查未通过，退回重新处理。",
        "en": "The check on site failed: sent back to be fixed.",
    },
    "p_step_close": {"zh": "已办结。", "en": "Closed."},
    "p_step_rework": {"zh": "退回处置单位重新处理。", "en": "Sent back to the unit to be fixed again."},
    "p_step_void": {"zh": "判定为无效上报。", "en": "Not taken up."},
    "p_step_merge": {"zh": "与同一问题合并处理。", "en": "Joined to the same problem."},
    # geography layers: import check and export (issue 17, item 2)
    "geo_file_empty": {
        "zh": "文件是空的，请选择一个 GeoJSON 文件或压缩的 Shapefile。",
        "en": "The file is empty: choose a GeoJSON file or a zipped Shapefile.",
    },
    "geo_bad_zip": {"zh": "文件不是有效的 ZIP 压缩包。", "en": "The file is not a valid ZIP archive."},
    "geo_zip_needs_one_shp": {
        "zh": "压缩包中应恰有一个 .shp 文件（找到 {found} 个）。",
        "en": "The archive must hold exactly one .shp file (found {found}).",
    },
    "geo_zip_missing_part": {
        "zh": "压缩包中缺少 Shapefile 的 {part} 文件。",
        "en": "The archive lacks the Shapefile's {part} file.",
    },
    "geo_bad_shapefile": {
        "zh": "无法读取 Shapefile：{detail}",
        "en": "The Shapefile cannot be read: {detail}",
    },
    "geo_unknown_layer": {"zh": "未知的图层：{layer}", "en": "Unknown layer: {layer}"},
    "geo_invalid_geometry": {
        "zh": "{feature} 的图形无效（{reason}）。",
        "en": "{feature} has an invalid shape ({reason}).",
    },
    "geo_code_missing": {"zh": "{feature} 缺少编码。", "en": "{feature} has no code."},
    "geo_name_missing": {"zh": "{feature} 缺少名称。", "en": "{feature} has no name."},
    "geo_name_too_long": {
        "zh": "{feature} 的名称超过 100 个字。",
        "en": "{feature} has a name longer than 100 characters.",
    },
    "geo_grid_one_polygon": {
        "zh": "{feature} 由多个多边形组成，单元网格只能是一个多边形。",
        "en": "{feature} has several polygons; a unit grid is one polygon.",
    },
    "geo_code_format": {
        "zh": "{feature} 的编码格式不对：应为 {digits} 位数字。",
        "en": "{feature} has a malformed code: it should be {digits} digits.",
    },
    "geo_street_needs_district": {
        "zh": "{feature} 的编码只有街道位，请选择所属的区（或使用 区+街道 的完整编码）。",
        "en": "{feature} has only the street digits: choose its district (or use district + street codes).",
    },
    "geo_code_repeated": {
        "zh": "{feature} 与 {other} 编码重复。",
        "en": "{feature} repeats the code of {other}.",
    },
    "geo_work_grid_exists": {
        "zh": "工作网格 {feature} 已存在；导入只新增工作网格，修改请在工作网格页面进行。",
        "en": "Work grid {feature} exists already; an import only adds work grids, change it on the work grid page.",
    },
    "geo_unknown_district": {
        "zh": "{feature} 的上级区 {code} 不存在。",
        "en": "{feature}: its district {code} does not exist.",
    },
    "geo_unknown_street": {
        "zh": "{feature} 的上级街道 {code} 不存在。",
        "en": "{feature}: its street {code} does not exist.",
    },
    "geo_unknown_community": {
        "zh": "{feature} 的上级社区 {code} 不存在。",
        "en": "{feature}: its community {code} does not exist.",
    },
    "geo_unknown_work_grid": {
        "zh": "{feature} 所属的工作网格 {code} 不存在。",
        "en": "{feature}: work grid {code} does not exist.",
    },
    "geo_unknown_area": {
        "zh": "{feature} 所属的片区 {code} 不存在。",
        "en": "{feature}: area {code} does not exist.",
    },
    "geo_unknown_work_group": {
        "zh": "{feature} 所属的工作小组 {code} 不存在。",
        "en": "{feature}: work group {code} does not exist.",
    },
    "geo_overlap": {
        "zh": "{feature} 与 {other} 重叠约 {area} 平方米。",
        "en": "{feature} overlaps {other} by about {area} m².",
    },
    "geo_overlap_existing": {
        "zh": "{feature} 与已有的 {other} 重叠约 {area} 平方米。",
        "en": "{feature} overlaps the existing {other} by about {area} m².",
    },
    "geo_outside_parent": {
        "zh": "{feature} 超出上级 {parent} 约 {area} 平方米。",
        "en": "{feature} reaches about {area} m² outside {parent}.",
    },
    "geo_gap": {
        "zh": "{parent} 有约 {area} 平方米未被下级覆盖（缝隙）。",
        "en": "{parent} has a gap of about {area} m² its children do not cover.",
    },
    "geo_import_has_errors": {
        "zh": "文件有 {count} 个错误，未导入任何内容：",
        "en": "The file has {count} error(s); nothing was imported:",
    },
    "geo_import_has_warnings": {
        "zh": "文件有 {count} 个警告，需确认接受后才能导入：",
        "en": "The file has {count} warning(s) to accept before it is imported:",
    },
    "geo_feature_number": {"zh": "第 {n} 个要素", "en": "feature {n}"},
    "geo_preview_expired": {
        "zh": "预览已过期或不存在，请重新上传文件。",
        "en": "The preview has expired or does not exist: upload the file again.",
    },
    "geo_layer_districts": {"zh": "区", "en": "Districts"},
    "geo_layer_streets": {"zh": "街道", "en": "Streets"},
    "geo_layer_communities": {"zh": "社区", "en": "Communities"},
    "geo_layer_unit_grids": {"zh": "单元网格", "en": "Unit grids"},
    "geo_layer_work_grids": {"zh": "工作网格", "en": "Work grids"},
    # issue 18, pubb: "closed is not fixed", ratings, the public map
    "public_link_unknown": {
        "zh": "找不到这个查询链接，请核对回执上的链接。",
        "en": "This follow link is unknown: please check the link on your receipt.",
    },
    "not_fixed_not_closed": {
        "zh": "案件尚未办结，办结后才能反映未修复。",
        "en": "The case is not closed yet: you can say it is not fixed once it is closed.",
    },
    "not_fixed_window_passed": {
        "zh": "案件办结已超过 {days} 天，不能再反映未修复；如问题仍在，请重新上报。",
        "en": "The case was closed more than {days} days ago: please report the problem again.",
    },
    "not_fixed_already_open": {
        "zh": "已有人反映未修复，正在复核，请等待结果。",
        "en": "Someone already said it is not fixed and it is being re-verified: please wait for the result.",
    },
    "not_fixed_photo_required": {"zh": "请附上一张现场照片。", "en": "Please add a photo of the place."},
    "public_note_too_long": {"zh": "文字最多 {limit} 字。", "en": "At most {limit} characters."},
    "recheck_nothing_open": {
        "zh": "这个案件没有待复核的未修复反映。",
        "en": "This case has no 'not fixed' waiting for re-verification.",
    },
    "rating_unknown": {
        "zh": "请选择：满意、基本满意或不满意。",
        "en": "Please choose satisfied, fairly satisfied or not satisfied.",
    },
    "rating_not_closed": {
        "zh": "案件办结后才能评价。",
        "en": "You can rate the handling once the case is closed.",
    },
    "rating_given": {
        "zh": "您已评价过，每个链接只能评价一次。",
        "en": "You have rated this already: one rating per link.",
    },
    "public_bad_date": {"zh": "{name} 须为日期（YYYY-MM-DD）。", "en": "{name} must be a date (YYYY-MM-DD)."},
    "public_bad_period": {"zh": "开始日期不能晚于结束日期。", "en": "The first day comes after the last."},
    "public_period_too_long": {"zh": "时间段最长 {days} 天。", "en": "A period is at most {days} days."},
    "public_bad_status": {"zh": "没有这个状态。", "en": "No such status."},
    "public_photo_bad_decision": {
        "zh": "请选择同意公开或不予公开。",
        "en": "The decision is approved or rejected.",
    },
    # The same steps in the Open311 update feed (no citizen's own words in them).
    "open311_event_not_fixed": {
        "zh": "市民反映问题仍未解决，网格监督员将到现场复核。",
        "en": "A citizen says it is not fixed; the grid's inspector will re-verify on site.",
    },
    "open311_event_recheck": {
        "zh": "监督员现场复核：问题已解决，维持结案。",
        "en": "Re-verified on site: it is fixed, the request stays closed.",
    },
    "open311_event_rating_satisfied": {"zh": "市民评价办理情况。", "en": "A citizen rated the handling."},
    "open311_event_rating_basic": {"zh": "市民评价办理情况。", "en": "A citizen rated the handling."},
    "open311_event_rating_unsatisfied": {"zh": "市民评价办理情况。", "en": "A citizen rated the handling."},
}


def current_language() -> str:
    if not has_request_context():
        return DEFAULT_LANGUAGE
    return language_of(request)


def language_of(req) -> str:
    """The language of a request (a werkzeug ``Request``; also one answered
    before Flask, e.g. an intake request refused as busy)."""
    cookie = req.cookies.get("lang")
    if cookie in LANGUAGES:
        return cookie
    if not req.path.startswith("/api/"):
        return DEFAULT_LANGUAGE  # pages: Chinese unless the user switched
    # API clients may ask (our own pages send their language with each call).
    return req.accept_languages.best_match(LANGUAGES, default=DEFAULT_LANGUAGE)


def translate(key: str, language: str | None = None, **params) -> str:
    entry = MESSAGES.get(key)
    if entry is None:
        return key
    template = entry.get(language or current_language(), entry[DEFAULT_LANGUAGE])
    try:
        return template.format(**params)
    except (KeyError, ValueError):
        return template
