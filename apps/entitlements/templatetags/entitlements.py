"""`{% load entitlements %}`

    {% feature "crm.kanban" as kanban_on %}{% if kanban_on %}…{% endif %}
    {% iffeature "crm.kanban" %}…{% else %}…{% endiffeature %}

Both read `request.entitlements` (no request in the context: OFF).
"""

from __future__ import annotations

from django import template

register = template.Library()


def _is_on(context, key) -> bool:
    request = context.get("request")
    ents = getattr(request, "entitlements", None) if request is not None else None
    return bool(ents is not None and ents.is_on(str(key)))


@register.simple_tag(takes_context=True)
def feature(context, key) -> bool:
    return _is_on(context, key)


class IfFeatureNode(template.Node):
    def __init__(self, key, nodelist_on, nodelist_off):
        self.key = key
        self.nodelist_on = nodelist_on
        self.nodelist_off = nodelist_off

    def render(self, context):
        nodes = self.nodelist_on if _is_on(context, self.key.resolve(context)) else self.nodelist_off
        return nodes.render(context)


@register.tag
def iffeature(parser, token):
    bits = token.split_contents()
    if len(bits) != 2:
        raise template.TemplateSyntaxError(f'Usage: {{% {bits[0]} "feature.key" %}}…{{% end{bits[0]} %}}')
    key = parser.compile_filter(bits[1])
    nodelist_on = parser.parse(("else", "endiffeature"))
    token = parser.next_token()
    if token.contents == "else":
        nodelist_off = parser.parse(("endiffeature",))
        parser.delete_first_token()
    else:
        nodelist_off = template.NodeList()
    return IfFeatureNode(key, nodelist_on, nodelist_off)
