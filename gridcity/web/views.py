"""Pages: sign-in and each role's home."""

from __future__ import annotations

from flask import Blueprint, render_template

from gridcity.core.auth import login_required

bp = Blueprint("web", __name__)


@bp.get("/login")
def login_page():
    return render_template("login.html")


@bp.get("/")
@login_required
def home():
    return render_template("home.html")
