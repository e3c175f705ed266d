"""Industry templates for a starter site: a home, about, services and contact page and a few
FAQs, written so a new business has a real site on day one. `{name}` is the business name."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class StarterPage:
    slug: str
    title: str
    body: str
    seo_description: str = ""
    nav_order: int = 100


@dataclass(frozen=True)
class StarterFaq:
    question: str
    answer: str
    category: str = "General"


@dataclass(frozen=True)
class IndustryTemplate:
    key: str
    label: str
    tagline: str
    brand_colour: str
    services_title: str
    services_body: str
    about_body: str
    home_intro: str
    faqs: tuple[StarterFaq, ...] = field(default_factory=tuple)
    keywords: tuple[str, ...] = ()

    def pages(self) -> list[StarterPage]:
        return [
            StarterPage(
                "home",
                "{name}",
                self.home_intro
                + "\n\n## Why {name}\n\n"
                + "- People who know their work and care about yours\n"
                + "- Clear prices, agreed before we start\n"
                + "- Easy to reach: we answer the same day\n\n"
                + f"[{self.services_title}](/services/) · [About us](/about/) · [Contact](/contact/)\n",
                "{name}: " + self.tagline,
                0,
            ),
            StarterPage("about", "About us", self.about_body, "Who we are at {name}.", 10),
            StarterPage("services", self.services_title, self.services_body, self.services_title + " at {name}.", 20),
            StarterPage(
                "contact",
                "Contact",
                "We would love to hear from you.\n\n"
                "- **Email:** hello@example.com\n"
                "- **Phone:** +1 555 0100\n"
                "- **Hours:** Monday to Friday, 9:00–17:00\n\n"
                "Write to us with a few words about what you need and we will get back to you the same day.",
                "How to reach {name}.",
                90,
            ),
        ]


COMMON_FAQS = (
    StarterFaq("How do I get in touch?", "Use the details on our [contact page](/contact/): we answer the same day."),
)

TEMPLATES: dict[str, IndustryTemplate] = {
    t.key: t
    for t in (
        IndustryTemplate(
            key="dental",
            label="Dental practice",
            tagline="Gentle, modern dental care for the whole family.",
            brand_colour="#0e7490",
            services_title="Treatments",
            services_body="## Check-ups and cleaning\n\nA full check-up and professional cleaning, twice a year.\n\n"
            "## Fillings and crowns\n\nTooth-coloured fillings and crowns that last.\n\n"
            "## Whitening\n\nSafe whitening, at the practice or at home.\n\n"
            "## Emergencies\n\nToothache or a broken tooth? Call us: we keep time free every day.",
            about_body="{name} is a family dental practice. Our dentists and hygienists take the time to "
            "explain every step, so you always know what happens and why.",
            home_intro="Welcome to **{name}**. Book a check-up, get a second opinion or fix that toothache: "
            "we make dental care calm and simple.",
            faqs=(
                StarterFaq(
                    "Do you take new patients?",
                    "Yes. Call or write to us and we will book your first check-up.",
                    "Appointments",
                ),
                StarterFaq(
                    "What if I have a dental emergency?",
                    "Call us in the morning: we keep emergency slots free every day.",
                    "Appointments",
                ),
                StarterFaq(
                    "Is whitening safe?",
                    "Yes, when it is done under a dentist's care. We check your teeth first.",
                    "Treatments",
                ),
            ),
            keywords=("dental", "dentist", "orthodont", "teeth"),
        ),
        IndustryTemplate(
            key="restaurant",
            label="Restaurant",
            tagline="Seasonal food, cooked with care.",
            brand_colour="#b45309",
            services_title="Menu",
            services_body="## Starters\n\n- Soup of the day\n- Garden salad with house dressing\n\n"
            "## Mains\n\n- Catch of the day with seasonal vegetables\n- Slow-cooked beef with mash\n- Wild mushroom risotto\n\n"
            "## Desserts\n\n- Chocolate tart\n- Ice cream, three scoops\n\n"
            "Tell us about allergies when you order: most dishes can be adapted.",
            about_body="{name} started with one idea: good ingredients, cooked simply. "
            "We buy from local growers and change the menu with the seasons.",
            home_intro="Welcome to **{name}**. Come for lunch, stay for dinner, or book a table for your next celebration.",
            faqs=(
                StarterFaq(
                    "Do I need to book?",
                    "For dinner at the weekend, yes. At other times walk-ins are welcome.",
                    "Bookings",
                ),
                StarterFaq(
                    "Do you cater for allergies?",
                    "Yes. Tell us when you order and the kitchen will adapt your dish.",
                    "Food",
                ),
                StarterFaq(
                    "Do you have vegetarian dishes?", "Always: see the menu, and ask for today's specials.", "Food"
                ),
            ),
            keywords=("restaurant", "cafe", "café", "bistro", "food", "bakery", "pizzeria", "catering"),
        ),
        IndustryTemplate(
            key="retail",
            label="Retail shop",
            tagline="Things we love, chosen for you.",
            brand_colour="#be123c",
            services_title="Shop",
            services_body="## New in\n\nFresh arrivals every week: come and see.\n\n"
            "## Gifts\n\nNot sure what to choose? We wrap for free and help you find the right thing.\n\n"
            "## Returns\n\nChanged your mind? Bring it back within 30 days with the receipt.",
            about_body="{name} is an independent shop. We choose every product ourselves and are happy to tell you its story.",
            home_intro="Welcome to **{name}**. Visit the shop or get in touch: we are here to help you find what you need.",
            faqs=(
                StarterFaq(
                    "What is your returns policy?",
                    "Returns within 30 days with the receipt, for a refund or an exchange.",
                    "Orders",
                ),
                StarterFaq("Do you gift wrap?", "Yes, for free, in the shop.", "Orders"),
                StarterFaq(
                    "Can you order something for me?",
                    "Often, yes: ask us and we will check with our suppliers.",
                    "Products",
                ),
            ),
            keywords=("retail", "shop", "store", "boutique", "commerce", "fashion"),
        ),
        IndustryTemplate(
            key="consulting",
            label="Consulting",
            tagline="Clear advice that moves your business forward.",
            brand_colour="#4338ca",
            services_title="Services",
            services_body="## Strategy\n\nWhere you are, where you want to be, and a plan to get there.\n\n"
            "## Operations\n\nFaster, simpler processes that your team actually uses.\n\n"
            "## Coaching\n\nOne-to-one support for leaders and their teams.",
            about_body="{name} helps businesses make better decisions, faster. "
            "We work alongside your team and leave you with results, not slide decks.",
            home_intro="Welcome to **{name}**. Tell us about your challenge: the first conversation is free.",
            faqs=(
                StarterFaq(
                    "How does a project start?",
                    "With a free first conversation about your goals; then we propose a plan and a fixed price.",
                    "Working with us",
                ),
                StarterFaq(
                    "Do you work with small businesses?",
                    "Yes, most of our clients are small and growing businesses.",
                    "Working with us",
                ),
                StarterFaq(
                    "How do you charge?", "A fixed price per project, agreed before we start. No surprises.", "Prices"
                ),
            ),
            keywords=("consult", "advis", "agency", "coach", "accountan"),
        ),
        IndustryTemplate(
            key="generic",
            label="Any business",
            tagline="Quality work, friendly service.",
            brand_colour="#2563eb",
            services_title="Services",
            services_body="## What we do\n\nTell your visitors about your main products or services here.\n\n"
            "## How it works\n\n1. Get in touch\n2. We agree what you need and the price\n3. We deliver, on time",
            about_body="{name} is a local business that puts its customers first. Tell your story here: "
            "how you started, what you care about and who is on the team.",
            home_intro="Welcome to **{name}**. Find out what we do and get in touch: we are happy to help.",
            faqs=(
                StarterFaq("What are your opening hours?", "Monday to Friday, 9:00–17:00.", "General"),
                StarterFaq("How can I pay?", "By card, bank transfer or cash.", "General"),
            ),
        ),
    )
}
GENERIC = "generic"


def template_for(industry: str) -> IndustryTemplate:
    """The template whose key or keywords match the industry (case-insensitive); generic otherwise."""
    text = (industry or "").strip().lower()
    if text in TEMPLATES:
        return TEMPLATES[text]
    for template in TEMPLATES.values():
        if any(word in text for word in template.keywords):
            return template
    return TEMPLATES[GENERIC]
