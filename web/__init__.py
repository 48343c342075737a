"""Server-rendered pages. For now a landing page that points a newcomer at the API and docs."""

from flask import Blueprint, render_template

from delivery.access import public

pages = Blueprint("web", __name__, template_folder="templates")


@pages.get("/")
@public
def index():
    return render_template("index.html")
