"""Disclosure control: pseudonyms, protected tables, suppression, the audit and the PII scan."""
