"""Parametric QR codes: scene strings, tickets and (later) posters."""
