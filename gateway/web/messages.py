"""The services' own messages that pages show (field errors, refusals), listed so that they are translated.

The services answer in English (their API's language); the pages look each message up in the catalog, so a
message listed here reaches a Chinese reader in Chinese. A message not listed is shown as it came.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

SERVICE_MESSAGES = [
    # marshmallow's own
    _l("Missing data for required field."), _l("Not a valid string."), _l("Not a valid number."),
    _l("Not a valid integer."), _l("Not a valid date."), _l("Not a valid decimal."), _l("Not a valid list."),
    _l("Unknown field."), _l("Field may not be null."), _l("Must be one of: IELTS, TOEFL, CET-4, CET-6, TestDaF, "
                                                              "DELF, JLPT, TOPIK, other."),
    _l("Must be greater than or equal to 0 and less than or equal to 4."),
    _l("Must be greater than or equal to 0."),
    # the applications service
    _l("Must not be blank."), _l("Must not be blank or contain line breaks or control characters."),
    _l("Must not be negative."), _l("Choose between 1 and 3 partners."), _l("Each partner can be chosen only once."),
    _l("Use YEAR-spring or YEAR-fall, e.g. 2031-fall."), _l("Use a two-letter ISO 3166 country code, e.g. DE."),
    _l("Must be in the future."), _l("Must not be before the start date."),
    _l("Choose a term that has not started yet."), _l("Not a valid id."), _l("Missing file."),
    # (a missing document, "Upload a document of type '…'.", is named by its kind's label: web/kinds.py)
    _l("Only PDF, PNG and JPEG files are accepted (judged by their content)."),
    _l("The form has invalid fields; see errors."), _l("A program is required for this kind."),
    _l("The application changed while you were changing it; reload it and try again."),
    _l("The request has invalid fields; see errors."),
    # the reviews service
    _l("Only a task you claimed can be released."), _l("Say why: a comment is required to reject or return."),
    # outcomes in the decision log
    _l("approve"), _l("reject"), _l("return"),
    # API client scopes (admin page)
    _l("read the event feed"), _l("manage its own webhook subscriptions"),
]
