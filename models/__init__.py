"""SQLAlchemy 2.0 models, one aggregate per module. Importing this package registers them all."""

from models.base import Base
from models.case import Attachment, Case, CaseEvent, CaseMessage, Proposal, proposal_signers
from models.department import Department
from models.district import ContactPoint, District, SubDistrict
from models.duty import DutyActivity, duty_activity_representatives
from models.inbound import InboundMessage
from models.outbox import OutboxMessage
from models.rating import CaseRating
from models.report import MonthlyReport, ReportScope
from models.representative import BindToken, QrCodeIssue, Representative, representative_contact_points
from models.resident import Resident, ResidentScan
from models.routing import CaseSuggestion, RoutingModel
from models.search import TERMS_COLUMN  # noqa: F401 - registers the PostgreSQL search column with the tables
from models.staff import StaffRole, StaffUser
from models.tally import CaseTally

__all__ = [
    "Attachment",
    "BindToken",
    "Base",
    "Case",
    "CaseEvent",
    "CaseRating",
    "CaseMessage",
    "CaseSuggestion",
    "CaseTally",
    "ContactPoint",
    "Department",
    "District",
    "DutyActivity",
    "InboundMessage",
    "MonthlyReport",
    "OutboxMessage",
    "Proposal",
    "ReportScope",
    "QrCodeIssue",
    "Representative",
    "Resident",
    "ResidentScan",
    "RoutingModel",
    "StaffRole",
    "StaffUser",
    "SubDistrict",
    "duty_activity_representatives",
    "proposal_signers",
    "representative_contact_points",
]
