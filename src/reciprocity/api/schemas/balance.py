"""The reciprocity balance per advisor."""

from ninja import Schema

from reciprocity.api.schemas.common import UserRef


class AdvisorBalance(Schema):
    """One advisor's partners and the referrals flowing both ways with them."""

    advisor: UserRef
    partners: int
    referrals_sent: int
    referrals_received: int
    connections_sent: int
    connections_received: int
    referrals_sent_12m: int
    referrals_received_12m: int
    connections_sent_12m: int
    connections_received_12m: int
