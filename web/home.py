"""The start page: a landing page for visitors, the signed-in person's pages as tiles."""

from flask import g, render_template

from delivery.access import public
from web.blueprint import pages
from web.nav import menu_for


@pages.context_processor
def _menu():
    return {"menu": menu_for(g.get("actor"))}


@pages.get("/")
@public
def home():
    return render_template("web/home.html")
