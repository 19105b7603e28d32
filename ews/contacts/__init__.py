"""Contacts managed by admins: institutions' contacts and communities' leaders and monitors."""
