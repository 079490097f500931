"""Mail: rendering, the transactional outbox and the worker that delivers it over SMTP.

Request code calls `render(...)` and `Services.outbox.enqueue(session, message)` and nothing
else. Modules, one concern each: `message` (a checked mail and its MIME form), `templates`
(rendering the files in `templates/`), `smtp_url` (SMTP_URL), `smtp` (aiosmtplib), `sealing`
(encrypted bodies), `store` (every statement on the outbox table), `outbox` (enqueue),
`worker` (delivery, retries, give-up).
"""

from app.mail.message import InvalidMessage, Message
from app.mail.templates import TEMPLATE_VALUES, TemplateValuesError, render

__all__ = ["TEMPLATE_VALUES", "InvalidMessage", "Message", "TemplateValuesError", "render"]
