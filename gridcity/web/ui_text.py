"""The pages' own words, in Chinese and English.

Server messages (errors) live in :mod:`gridcity.core.i18n`; this catalogue holds
only what the pages show around them: labels, headings, hints.
"""

from __future__ import annotations

from gridcity.core.i18n import DEFAULT_LANGUAGE

UI_TEXT: dict[str, dict[str, str]] = {
    # shared
    "app_name": {"zh": "GridCity 数字城管", "en": "GridCity"},
    "app_tagline": {"zh": "数字化城市管理网格派遣系统", "en": "Digital urban-management grid dispatch"},
    "switch_language": {"zh": "English", "en": "中文"},
    "switch_language_title": {"zh": "Switch to English", "en": "切换到中文"},
    "sign_out": {"zh": "退出登录", "en": "Sign out"},
    "home": {"zh": "首页", "en": "Home"},
    "loading": {"zh": "加载中…", "en": "Loading…"},
    "load_error": {"zh": "数据加载失败，请刷新重试。", "en": "Could not load the data; please reload."},
    "network_error": {
        "zh": "无法连接服务器，请稍后重试。",
        "en": "Cannot reach the server; please try again.",
    },
    # sign-in
    "login_title": {"zh": "登录", "en": "Sign in"},
    "username": {"zh": "用户名", "en": "User name"},
    "password": {"zh": "密码", "en": "Password"},
    "remember": {"zh": "保持登录", "en": "Keep me signed in"},
    "sign_in": {"zh": "登录", "en": "Sign in"},
    "signing_in": {"zh": "正在登录…", "en": "Signing in…"},
    # home panel
    "my_work_grids": {"zh": "我的工作网格", "en": "My work grids"},
    "no_work_grids": {"zh": "尚未分配工作网格。", "en": "No work grids assigned yet."},
    "show_on_map": {"zh": "在地图上显示", "en": "Show on the map"},
    "my_work_groups": {"zh": "我带领的工作小组", "en": "Work groups I lead"},
    "my_unit": {"zh": "我的责任单位", "en": "My unit"},
    "no_unit": {"zh": "尚未关联责任单位。", "en": "No unit assigned yet."},
    "unit_code": {"zh": "单位编码", "en": "Unit code"},
    "contact": {"zh": "联系人", "en": "Contact"},
    "phone": {"zh": "电话", "en": "Phone"},
    "city_overview": {"zh": "全市概况", "en": "City overview"},
    "count_streets": {"zh": "街道", "en": "Streets"},
    "count_work_grids": {"zh": "工作网格", "en": "Work grids"},
    "count_unit_grids": {"zh": "单元网格", "en": "Unit grids"},
    "my_areas": {"zh": "我负责的片区", "en": "Areas I head"},
    "administration": {"zh": "系统管理", "en": "Administration"},
    "open_admin": {"zh": "进入系统管理", "en": "Open administration"},
    # map
    "layer_basemap": {"zh": "底图", "en": "Basemap"},
    "layer_streets": {"zh": "街道", "en": "Streets"},
    "layer_work_grids": {"zh": "工作网格", "en": "Work grids"},
    "layer_unit_grids": {"zh": "单元网格", "en": "Unit grids"},
    "hint_zoom_in": {
        "zh": "放大到第 15 级或更近可查看单元网格",
        "en": "Zoom in to level 15 or closer to see unit grids",
    },
    "hint_too_many": {
        "zh": "当前视图中单元网格过多，请放大",
        "en": "Too many unit grids in this view: zoom in",
    },
    "map_load_error": {"zh": "地图数据加载失败", "en": "Could not load the map data"},
    "my_grid": {"zh": "我的网格", "en": "my grid"},
    # admin
    "users": {"zh": "用户", "en": "Users"},
    "units": {"zh": "责任单位", "en": "Units"},
    "categories": {"zh": "案件类别", "en": "Categories"},
    "col_username": {"zh": "用户名", "en": "User name"},
    "col_display_name": {"zh": "姓名", "en": "Name"},
    "col_role": {"zh": "角色", "en": "Role"},
    "col_unit": {"zh": "责任单位", "en": "Unit"},
    "col_work_grids": {"zh": "工作网格", "en": "Work grids"},
    "col_code": {"zh": "编码", "en": "Code"},
    "col_name": {"zh": "名称", "en": "Name"},
    "col_kind": {"zh": "类型", "en": "Kind"},
    "col_contact": {"zh": "联系人", "en": "Contact"},
    "col_phone": {"zh": "电话", "en": "Phone"},
    "col_active": {"zh": "启用", "en": "Active"},
    "col_major": {"zh": "大类", "en": "Major class"},
    "col_urgency": {"zh": "紧急程度", "en": "Urgency"},
    "col_deadline": {"zh": "处置时限", "en": "Deadline"},
    "yes": {"zh": "是", "en": "yes"},
    "no": {"zh": "否", "en": "no"},
    "kind_component": {"zh": "部件", "en": "Component"},
    "kind_event": {"zh": "事件", "en": "Event"},
    "unit_kind_sanitation": {"zh": "环卫", "en": "Sanitation"},
    "unit_kind_parks": {"zh": "园林绿化", "en": "Parks"},
    "unit_kind_municipal": {"zh": "市政", "en": "Municipal works"},
    "unit_kind_water": {"zh": "水务", "en": "Water"},
    "unit_kind_traffic": {"zh": "交通", "en": "Traffic"},
    "unit_kind_enforcement": {"zh": "城管执法", "en": "Enforcement"},
    "unit_kind_street_office": {"zh": "街道办", "en": "Street office"},
    "unit_kind_other": {"zh": "其他", "en": "Other"},
    "urgency_normal": {"zh": "一般", "en": "Normal"},
    "urgency_urgent": {"zh": "紧急", "en": "Urgent"},
    "clock_emergency_hours": {"zh": "{n} 小时（全天计时）", "en": "{n} h (round the clock)"},
    "clock_working_hours": {"zh": "{n} 个工作小时", "en": "{n} working hours"},
    "clock_working_days": {"zh": "{n} 个工作日", "en": "{n} working days"},
    # error page
    "error_title": {"zh": "无法打开此页面", "en": "This page cannot be shown"},
    "back_home": {"zh": "返回首页", "en": "Back to the home page"},
}


def ui_text(key: str, language: str) -> str:
    """The text for ``key`` in ``language`` (Chinese when missing; the key when unknown)."""
    entry = UI_TEXT.get(key)
    if entry is None:
        return key
    return entry.get(language, entry[DEFAULT_LANGUAGE])


def ui_texts(language: str, keys: list[str] | tuple[str, ...]) -> dict[str, str]:
    """Several texts at once, for a page's script."""
    return {key: ui_text(key, language) for key in keys}


def ui_keys(*prefixes: str) -> tuple[str, ...]:
    """Every key starting with one of ``prefixes`` (e.g. all unit kinds)."""
    return tuple(key for key in UI_TEXT if key.startswith(prefixes))
