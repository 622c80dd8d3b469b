"""Jingwu web console: backend-for-frontend and the built single-page app."""
