"""The default IVR of a new tenant, as plain data (the rows are written by
:func:`apps.telephony.services.defaults.seed_default_ivr`, so ``ivr/`` never touches models).

The flow, published as version 1:

    hours ─ open ──→ welcome → menu ─ 1 → queue general (then the survey)
          │                        ├ 2 → voicemail
          │                        └ 0 → queue general, "asked for an agent" (then the survey)
          ├ closed ─→ closed message → voicemail
          └ holiday → holiday message → voicemail

Prompts and names are in the company's language (the sign-up form's "default language"): a
caller of a Chinese company hears Chinese only, an English company's callers English only.
Turning prompts into speech is the switch's business.
"""

from __future__ import annotations

# The English names are also the keys older tenants were seeded with (services/demo.py looks the
# hours up by every language's name).
DEFAULT_FLOW_NAME = "Main menu"
DEFAULT_HOURS_NAME = "Default hours"
DEFAULT_LANGUAGE = "zh-hans"

TEXTS: dict[str, dict[str, str]] = {
    "zh-hans": {
        "flow": "主菜单",
        "hours": "默认工作时间",
        "hours_label": "工作时间",
        "welcome": "您好，欢迎致电{company}。",
        "menu": "咨询请按1，留言请按2，人工服务请按0。",
        "retry": "抱歉，我们没有听清。",
        "voicemail": "请在提示音后留言，我们会尽快回复您。",
        "closed": "您好，现在是非工作时间。我们的工作时间是周一至周五9:00至18:00。",
        "holiday": "节假日期间暂停人工服务。",
        "survey": "请为本次服务评分，1分最低，5分最高。",
    },
    "en": {
        "flow": DEFAULT_FLOW_NAME,
        "hours": DEFAULT_HOURS_NAME,
        "hours_label": "Opening hours",
        "welcome": "Hello, thank you for calling {company}.",
        "menu": "For enquiries press 1, to leave a message press 2, to speak to an agent press 0.",
        "retry": "Sorry, we did not get that.",
        "voicemail": "Please leave a message after the tone; we will call you back.",
        "closed": "Our office hours are Monday to Friday, 9:00 to 18:00.",
        "holiday": "We are closed for the public holiday.",
        "survey": "Please rate our service from 1 (poor) to 5 (excellent).",
    },
}


def texts_for(language: str | None) -> dict[str, str]:
    """The default flow's words in ``language`` ("zh-hans", "en"); Chinese when unknown."""
    return TEXTS.get((language or "").lower(), TEXTS[DEFAULT_LANGUAGE])


def default_flow_name(language: str | None) -> str:
    return texts_for(language)["flow"]


def default_hours_name(language: str | None) -> str:
    return texts_for(language)["hours"]


def default_hours_names() -> list[str]:
    """The default hours' name in every language (a tenant's was chosen by its language)."""
    return sorted({texts["hours"] for texts in TEXTS.values()})


def default_graph(*, company: str, queue_id: int, hours_id: int, language: str | None = DEFAULT_LANGUAGE) -> dict:
    words = texts_for(language)
    menu = words["menu"]
    return {
        "start": "hours",
        "nodes": {
            "hours": {
                "type": "hours",
                "label": words["hours_label"],
                "business_hours": hours_id,
                "open": "welcome",
                "closed": "closed",
                "holiday": "holiday",
            },
            "welcome": {
                "type": "play",
                "prompt": words["welcome"].format(company=company),
                "next": "menu",
            },
            "menu": {
                "type": "menu",
                "prompt": menu,
                "retry_prompt": f"{words['retry']} {menu}" if language == "en" else words["retry"] + menu,
                "options": {"1": "enquiries", "2": "voicemail", "0": "agent"},
                "agent_options": ["0"],
                "timeout": 5,
                "retries": 2,
                "invalid": "agent",
                "no_input": "agent",
            },
            "enquiries": {"type": "queue", "queue": queue_id, "after_call": "survey"},
            "agent": {"type": "queue", "queue": queue_id, "after_call": "survey"},
            "voicemail": {
                "type": "voicemail",
                "queue": queue_id,
                "prompt": words["voicemail"],
            },
            "closed": {
                "type": "play",
                "prompt": words["closed"],
                "next": "voicemail",
            },
            "holiday": {
                "type": "play",
                "prompt": words["holiday"],
                "next": "voicemail",
            },
            "survey": {
                "type": "survey",
                "prompt": words["survey"],
            },
        },
    }
