"""Pages: sign-in and each role's home."""
