"""Every write of the referral ledger: one transaction each, attributed to the advisor who acts.

``ledger``: a referral's creation, consent, status and archive; ``steps``: the protocol steps
done on a referral (each a touch on the partner's timeline); ``protocols``: the firm's protocol
per profession. Callers pass records they fetched through the selectors (so the access rule
already holds); the services check it again where a record comes from outside (the partner of a
new referral).
"""
