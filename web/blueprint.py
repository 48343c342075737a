"""The pages' one Blueprint; every module of ``web`` adds its routes to it."""

from flask import Blueprint

from delivery.access import WEB_BLUEPRINT

pages = Blueprint(
    WEB_BLUEPRINT,
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/assets",
)
