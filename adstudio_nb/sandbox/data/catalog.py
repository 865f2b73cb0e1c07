"""Spotify's lookup tables as the sandbox serves them: targets, ad categories, podcast shows.

Owns the fixed catalogue the targeting lookups answer from (artists, genres, geos, interests,
languages, playlists, podcast episode topics, sensitive topics), the ad categories
(``ADV_{parent}_{sub}`` codes) and the podcast shows with their markets. It is the same for
every seed, as Spotify's catalogue is the same for every advertiser, and it holds every code
the generated ad sets use (their ``category``, ``geo_targets``, ``genre_ids`` and
``interest_ids``), so a lookup of an ad set's targets always finds them. Never reads the
clock or the generated objects; imports only ``constants.py``.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def spotify_id(rng: random.Random) -> str:
    """Return a Spotify catalogue id (22 base62 characters) drawn from ``rng``."""
    return "".join(rng.choice(_BASE62) for _ in range(22))


@dataclass(frozen=True)
class Target:
    """One entry of a lookup table: an id, a name and, for some kinds, more."""

    id: str
    name: str
    kind: str = ""
    country_code: str = ""
    parent_name: str = ""
    images: tuple[tuple[int, int, str], ...] = ()
    markets: tuple[str, ...] = ()
    subtargets: tuple[Target, ...] = ()

    def to_json(self) -> dict[str, object]:
        """Return the spec's ``TargetBase`` (plus ``images`` where the kind has them)."""
        body: dict[str, object] = {"id": self.id, "name": self.name}
        if self.images:
            body["images"] = [{"width": w, "height": h, "url": u} for w, h, u in self.images]
        if self.subtargets:
            body["subtargets"] = [{"id": t.id, "name": t.name} for t in self.subtargets]
        return body

    def to_geo_json(self) -> dict[str, object]:
        """Return the spec's ``GeoTarget``."""
        body: dict[str, object] = {
            "country_code": self.country_code,
            "id": self.id,
            "type": self.kind,
            "name": self.name,
        }
        if self.parent_name:
            body["parent_geo_name"] = self.parent_name
        return body


def _images(rng: random.Random, kind: str) -> tuple[tuple[int, int, str], ...]:
    key = f"{rng.getrandbits(64):016x}"
    return tuple((s, s, f"https://i.scdn.co/image/sandbox-{kind}-{key}-{s}") for s in (640, 300))


_ARTIST_FIRST = ("The", "Midnight", "Golden", "Silver", "Neon", "Velvet", "Electric", "Wild")
_ARTIST_SECOND = ("Foxes", "Harbour", "Echoes", "Pines", "Rivers", "Tides", "Lanterns", "Owls")


def _artists() -> tuple[Target, ...]:
    rng = random.Random("catalog:artists")
    return tuple(
        Target(spotify_id(rng), f"{a} {b}", images=_images(rng, "artist"))
        for a in _ARTIST_FIRST
        for b in _ARTIST_SECOND
    )


# Genre ids are the names Spotify uses as ids; insight reports break down by the same ones.
GENRES = tuple(
    Target(g, g.replace("-", " ").title())
    for g in (
        "pop",
        "hip-hop",
        "rock",
        "indie",
        "electronic",
        "latin",
        "jazz",
        "classical",
        "country",
        "r-n-b",
        "metal",
        "folk",
        "k-pop",
        "reggae",
        "blues",
        "soul",
    )
)

_INTEREST_TREE = (
    ("Fitness", ("Running", "Yoga", "Cycling")),
    ("Gaming", ("Console games", "Mobile games")),
    ("Travel", ("Adventure travel", "City breaks")),
    ("Food", ("Cooking", "Restaurants", "Vegan food")),
    ("Tech", ("Gadgets", "Software")),
)


def _interests() -> tuple[Target, ...]:
    rng = random.Random("catalog:interests")

    def make_id() -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    return tuple(
        Target(make_id(), name, subtargets=tuple(Target(make_id(), sub) for sub in subs))
        for name, subs in _INTEREST_TREE
    )


LANGUAGES = tuple(
    Target(code, name)
    for code, name in (
        ("en", "English"),
        ("sv", "Swedish"),
        ("de", "German"),
        ("fr", "French"),
        ("es", "Spanish"),
        ("pt", "Portuguese"),
        ("nl", "Dutch"),
        ("it", "Italian"),
        ("ja", "Japanese"),
    )
)

_PLAYLIST_NAMES = (
    "Today's Top Hits",
    "RapCaviar",
    "Rock Classics",
    "Peaceful Piano",
    "Workout Beats",
    "Chill Vibes",
    "Morning Commute",
    "Deep Focus",
    "Dinner Jazz",
    "Indie Mix",
    "Latin Party",
    "Sleep",
)


def _playlists() -> tuple[Target, ...]:
    rng = random.Random("catalog:playlists")
    return tuple(Target(spotify_id(rng), name) for name in _PLAYLIST_NAMES)


EPISODE_TOPICS = tuple(
    Target(t, t.replace("-", " ").capitalize())
    for t in (
        "news-and-politics",
        "sports",
        "technology-and-computing",
        "business-and-finance",
        "comedy",
        "true-crime",
        "health-and-fitness",
        "music",
        "education",
    )
)
SENSITIVE_TOPICS = tuple(
    Target(t, name)
    for t, name in (
        ("ALCOHOL", "Alcohol"),
        ("GAMBLING", "Gambling"),
        ("POLITICS", "Politics and elections"),
        ("VIOLENCE", "Violence"),
        ("CRIME", "Crime and tragedy"),
        ("SEXUAL_CONTENT", "Sexual content"),
        ("PROFANITY", "Profanity"),
    )
)

# (country, country name, [(region, [cities])]); every country the generated accounts use.
_GEO_TREE = (
    ("US", "United States",
     (("California", ("Los Angeles", "San Francisco")), ("New York", ("New York City",)))),
    ("SE", "Sweden", (("Stockholm County", ("Stockholm",)), ("Vastra Gotaland", ("Gothenburg",)))),
    ("GB", "United Kingdom", (("England", ("London", "Manchester")), ("Scotland", ("Glasgow",)))),
    ("DE", "Germany", (("Berlin", ("Berlin",)), ("Bavaria", ("Munich",)))),
    ("AU", "Australia", (("New South Wales", ("Sydney",)), ("Victoria", ("Melbourne",)))),
    ("CA", "Canada", (("Ontario", ("Toronto",)), ("Quebec", ("Montreal",)))),
    ("FR", "France", (("Ile-de-France", ("Paris",)), ("Provence", ("Marseille",)))),
    ("ES", "Spain", (("Comunidad de Madrid", ("Madrid",)), ("Catalonia", ("Barcelona",)))),
    ("NL", "Netherlands", (("North Holland", ("Amsterdam",)),)),
    ("BR", "Brazil", (("Sao Paulo", ("Sao Paulo",)), ("Rio de Janeiro", ("Rio de Janeiro",)))),
)  # fmt: skip
GEO_TYPES = ("COUNTRY", "REGION", "CITY", "DMA_REGION", "POSTAL_CODE")


def _geos() -> tuple[Target, ...]:
    rng = random.Random("catalog:geos")
    out = []
    for country, country_name, regions in _GEO_TREE:
        out.append(Target(country, country_name, "COUNTRY", country))
        for region, cities in regions:
            out.append(
                Target(str(rng.randint(10**6, 10**7)), region, "REGION", country, country_name)
            )
            for city in cities:
                out.append(Target(str(rng.randint(10**6, 10**7)), city, "CITY", country, region))
                out.append(
                    Target(
                        f"{country}:{rng.randint(10000, 99999)}",
                        f"{city} centre",
                        "POSTAL_CODE",
                        country,
                        city,
                    )
                )
    return tuple(out)  # fmt: skip


# (parent number, parent name, [(sub number, sub name)]); holds every code ad sets use.
_CATEGORY_TREE = (
    (1, "Automotive", ((1, "Auto Parts"), (6, "Car Dealers"), (8, "Auto Towing and Repair"))),
    (15, "Food and Drink", ((140, "Restaurants"), (141, "Groceries"))),
    (21, "Media and Entertainment", ((182, "Music and Audio"), (183, "Movies"))),
    (29, "Retail", ((244, "Apparel"), (245, "Sporting Goods"))),
    (32, "Technology", ((266, "Consumer Electronics"), (267, "Software"))),
    (34, "Travel", ((276, "Airlines"), (277, "Hotels"))),
)


def _categories() -> tuple[Target, ...]:
    out = []
    for number, parent, subs in _CATEGORY_TREE:
        out.append(Target(f"ADV_{number}_0", parent, parent_name=parent))
        for sub, name in subs:
            out.append(Target(f"ADV_{number}_{sub}", f"{parent} - {name}", parent_name=parent))
    return tuple(out)


_SHOW_NAMES = (
    ("The Daily Bike", ("US", "GB", "SE")),
    ("Fika Talks", ("SE", "DE", "NL")),
    ("Morning Markets", ("US", "CA", "AU")),
    ("Kitchen Stories", ("US", "GB", "FR", "ES")),
    ("Code and Coffee", ("US", "DE", "BR")),
    ("True Crime Tonight", ("US", "GB", "CA", "AU")),
    ("Goal Line", ("GB", "ES", "BR", "FR")),
    ("Mindful Minutes", ("US", "SE", "NL", "DE")),
)


def _shows() -> tuple[Target, ...]:
    rng = random.Random("catalog:shows")
    return tuple(
        Target(spotify_id(rng), name, images=_images(rng, "show"), markets=markets)
        for name, markets in _SHOW_NAMES
    )


ARTISTS = _artists()
INTERESTS = _interests()
PLAYLISTS = _playlists()
GEOS = _geos()
AD_CATEGORIES = _categories()
PODCAST_SHOWS = _shows()

TARGET_TABLES: dict[str, tuple[Target, ...]] = {
    "artists": ARTISTS,
    "genres": GENRES,
    "interests": INTERESTS,
    "languages": LANGUAGES,
    "playlists": PLAYLISTS,
    "episode_topics": EPISODE_TOPICS,
    "sensitive_topics": SENSITIVE_TOPICS,
}
"""Each ``/targets/{kind}`` lookup's table (geos have their own, :data:`GEOS`)."""
