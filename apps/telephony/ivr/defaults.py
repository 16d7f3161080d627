"""The default IVR of a new tenant, as plain data (the rows are written by
:func:`apps.telephony.services.defaults.seed_default_ivr`, so ``ivr/`` never touches models).

The flow, published as version 1:

    hours ─ open ──→ welcome → menu ─ 1 → queue general (then the survey)
          │                        ├ 2 → voicemail
          │                        └ 0 → queue general, "asked for an agent" (then the survey)
          ├ closed ─→ closed message → voicemail
          └ holiday → holiday message → voicemail

Prompts are bilingual text; turning them into speech is the switch's business.
"""

from __future__ import annotations

DEFAULT_FLOW_NAME = "Main menu"
DEFAULT_HOURS_NAME = "Default hours"
MENU_TEXT = "咨询请按1，留言请按2，人工服务请按0。For enquiries press 1, to leave a message press 2, to speak to an agent press 0."


def default_graph(*, company: str, queue_id: int, hours_id: int) -> dict:
    return {
        "start": "hours",
        "nodes": {
            "hours": {
                "type": "hours",
                "label": "Opening hours",
                "business_hours": hours_id,
                "open": "welcome",
                "closed": "closed",
                "holiday": "holiday",
            },
            "welcome": {
                "type": "play",
                "prompt": f"您好，欢迎致电{company}。Hello, thank you for calling {company}.",
                "next": "menu",
            },
            "menu": {
                "type": "menu",
                "prompt": MENU_TEXT,
                "retry_prompt": "抱歉，我们没有听清。Sorry, we did not get that. " + MENU_TEXT,
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
                "prompt": "请在提示音后留言，我们会尽快回复。Please leave a message after the tone; we will call you back.",
            },
            "closed": {
                "type": "play",
                "prompt": "您好，现在是非工作时间。我们的工作时间是周一至周五9:00至18:00。"
                "Our office hours are Monday to Friday, 9:00 to 18:00.",
                "next": "voicemail",
            },
            "holiday": {
                "type": "play",
                "prompt": "节假日期间暂停人工服务。We are closed for the public holiday.",
                "next": "voicemail",
            },
            "survey": {
                "type": "survey",
                "prompt": "请为本次服务评分，1分最低，5分最高。Please rate our service from 1 (poor) to 5 (excellent).",
            },
        },
    }
