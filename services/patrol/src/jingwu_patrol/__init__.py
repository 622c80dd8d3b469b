"""Patrol service: R-PAT-1..6, R-ROOM-5 (mobile-room stops and checkpoint orders), R-PER-11 input."""
