"""The built-in service attributes (``gridcity open311 load-attributes``
without a file): what the filing standards ask about manhole covers and road
emergencies, so the centre can triage an Open311 report before anyone goes out."""

from __future__ import annotations

COVER_CONDITION = {
    "code": "cover_condition",
    "datatype": "singlevaluelist",
    "required": True,
    "description": {"zh": "井盖的情况", "en": "What is wrong with the cover?"},
    "values": [
        {"key": "missing", "name": {"zh": "缺失", "en": "Missing"}},
        {"key": "broken", "name": {"zh": "破损", "en": "Broken"}},
        {"key": "displaced", "name": {"zh": "移位", "en": "Displaced"}},
        {
            "key": "uneven",
            "name": {"zh": "与路面高差超过2厘米", "en": "More than 2 cm above or below the road"},
        },
    ],
}
COMPONENT_CODE = {
    "code": "component_code",
    "datatype": "string",
    "required": False,
    "description": {
        "zh": "部件编码（井盖或设施上喷涂的编号）",
        "en": "Component number painted on the cover or facility",
    },
    "datatype_description": {"zh": "例如 4403080101000123", "en": "e.g. 4403080101000123"},
}
MANHOLE_COVERS = ("C0101", "C0102", "C0103", "C0105", "C0106", "C0107", "C0108", "C0109", "C0110")

DEFAULT_ATTRIBUTES: dict = {
    "services": {
        **{code: [COVER_CONDITION, COMPONENT_CODE] for code in MANHOLE_COVERS},
        "E0503": [COVER_CONDITION],
        "E0501": [
            {
                "code": "area_m2",
                "datatype": "number",
                "required": True,
                "description": {
                    "zh": "塌陷面积约多少平方米",
                    "en": "About how many square metres have collapsed?",
                },
            },
            {
                "code": "traffic",
                "datatype": "singlevaluelist",
                "required": False,
                "description": {"zh": "是否影响通行", "en": "Is traffic blocked?"},
                "values": [
                    {"key": "blocked", "name": {"zh": "已阻断交通", "en": "Blocked"}},
                    {"key": "partly", "name": {"zh": "部分影响", "en": "Partly"}},
                    {"key": "no", "name": {"zh": "不影响", "en": "No"}},
                ],
            },
        ],
        "E0502": [
            {
                "code": "depth_cm",
                "datatype": "number",
                "required": False,
                "description": {"zh": "积水深度约多少厘米", "en": "About how deep is the water (cm)?"},
            }
        ],
    }
}
