"""The concept vocabulary that prompts are mapped onto.

Each concept has a category, the words that name it directly (matched lexically, singular forms)
and a descriptive phrase (embedded once with the sentence encoder, for words we have no rule for).
Order matters: it is the order of the embedding matrix and of ties, and it never depends on sets.
"""

from __future__ import annotations

from dataclasses import dataclass

CATEGORIES: tuple[str, ...] = (
    "terrain",
    "shore",
    "water",
    "vegetation",
    "structure",
    "prop",
    "time",
    "weather",
    "season",
    "mood",
    "palette",
    "animal",
)


@dataclass(frozen=True, slots=True)
class Concept:
    name: str
    category: str
    words: tuple[str, ...]
    phrase: str
    #: a number in front of it is a count ("three cabins"); otherwise it is a presence or density
    countable: bool = False


def _c(category: str, name: str, words: str, phrase: str, countable: bool = False) -> Concept:
    return Concept(
        name=name,
        category=category,
        words=tuple(words.split(",")) if words else (),
        phrase=phrase,
        countable=countable,
    )


CONCEPTS: tuple[Concept, ...] = (
    # relief
    _c(
        "terrain",
        "mountains",
        "mountain,mountainous,peak,summit,alp,alpine,range,ridge,cliff,crag,mountain pass,alpine pass",
        "high rugged mountains with sharp rocky peaks and ridges",
    ),
    _c("terrain", "hills", "hill,hilly,rolling,highland,knoll,moor,upland", "gentle rolling green hills"),
    _c(
        "terrain",
        "plains",
        "plain,flat,meadow,field,prairie,grassland,steppe,savanna,farmland,pasture",
        "wide flat open grassland plains and meadows",
    ),
    _c(
        "terrain",
        "canyon",
        "canyon,gorge,ravine,mesa,badland,butte,gulch",
        "deep red rock canyon with steep walls and mesas",
    ),
    _c("terrain", "dunes", "dune,desert,sand,sandy,sahara,arid", "hot sandy desert with rippled sand dunes"),
    _c(
        "terrain",
        "snowfield",
        "snowfield,tundra,glacier,icy,ice,arctic,polar,frozen,snowy",
        "frozen white snowfield, arctic tundra and glaciers",
    ),
    _c(
        "terrain",
        "swamp",
        "swamp,marsh,bog,wetland,fen,bayou,marshy,swampy",
        "murky swamp wetland with marsh and bog pools",
    ),
    _c(
        "terrain",
        "volcanic",
        "volcano,volcanic,lava,crater,caldera,magma,ash",
        "volcano with a crater, black ash and lava rock",
    ),
    _c("terrain", "valley", "valley,vale,dale,glen,basin", "green valley between hillsides"),
    # where the land meets the sea
    _c(
        "shore",
        "coast",
        "coast,coastal,shore,beach,seaside,seashore,cove,bay,shoreline,cliffside,harbour,harbor,port,fjord,"
        "headland,waterfront,quay,marina,wharf,fishing harbour,fishing port,inlet,gulf",
        "sea coast with a sandy beach and the shoreline",
    ),
    _c("shore", "island", "island,isle,atoll,archipelago,islet", "small island surrounded by the ocean"),
    # water
    _c("water", "ocean", "ocean,sea,marine,tide,surf,wave", "the open ocean sea water with waves"),
    _c("water", "lake", "lake,pond,pool,loch,lagoon,reservoir,tarn,lakeside,lakeshore,oasis", "a calm freshwater lake or pond"),
    _c(
        "water",
        "river",
        "river,stream,creek,brook,rivulet,riverbank,riverbed,canal,channel,wadi,arroyo",
        "a flowing river or stream through the land",
    ),
    _c("water", "waterfall", "waterfall,cascade,falls", "a waterfall cascading over a cliff"),
    # vegetation
    _c(
        "vegetation",
        "conifers",
        "conifer,pine,fir,spruce,evergreen,cedar,larch,taiga,boreal,redwood,cypress,juniper,yew,sequoia",
        "coniferous forest of pine, fir and spruce trees",
    ),
    _c(
        "vegetation",
        "broadleaf",
        "broadleaf,oak,birch,maple,beech,deciduous,elm,willow,woodland,forest,wood,tree,grove,orchard,cherry,sakura,"
        "almond,aspen,chestnut,linden,poplar,alder,ash tree",
        "deciduous broadleaf trees like oak, maple and birch",
    ),
    _c("vegetation", "palms", "palm,coconut,tropical,jungle,rainforest,palm tree", "tropical palm trees"),
    _c("vegetation", "grass", "grass,grassy,lawn,green,verdant,lush", "green grass covering the ground"),
    _c(
        "vegetation",
        "shrubs",
        "shrub,bush,hedge,heather,scrub,thicket,undergrowth,fern",
        "low shrubs and bushes",
    ),
    _c(
        "vegetation",
        "flowers",
        "flower,wildflower,bloom,blossom,poppy,tulip,lavender,daisy",
        "colourful wildflowers in bloom",
    ),
    _c("vegetation", "cactus", "cactus,cacti,succulent,saguaro,agave", "desert cactus plants"),
    _c("vegetation", "vines", "vineyard,vine,grapevine,grape,winery,vintner,wine country",
       "rows of grapevines on trellises in a vineyard"),
    _c(
        "vegetation",
        "dead_trees",
        "dead,deadwood,snag,leafless,barren,withered",
        "dead leafless trees and bare branches",
    ),
    # structures
    _c(
        "structure",
        "cabin",
        "cabin,hut,cottage,lodge,chalet,shack,shed",
        "a small wooden cabin",
        countable=True,
    ),
    _c(
        "structure",
        "house",
        "house,home,farmhouse,building,barn,villa,dwelling,structure",
        "a house or farm building",
        countable=True,
    ),
    _c(
        "structure",
        "village",
        "village,hamlet,town,settlement,outskirts,suburb,suburbs",
        "a small village of houses",
        countable=True,
    ),
    _c(
        "structure",
        "city",
        "city,downtown,skyscrapers,urban,metropolis,highrise,cityscape,skyline,city street,city streets,"
        "cyberpunk",
        "a city of tall buildings along streets",
        countable=True,
    ),
    _c(
        "structure",
        "tower",
        "tower,watchtower,spire,keep,turret,castle,fort,fortress",
        "a tall stone watchtower",
        countable=True,
    ),
    _c(
        "structure",
        "ruins",
        "ruin,ruined,temple,monument,ancient,pillar,column,abandoned",
        "ancient crumbling stone ruins",
        countable=True,
    ),
    _c(
        "structure",
        "skyscraper",
        "skyscraper,office tower,office building,office block,glass tower,glass skyscraper,glass building,"
        "tower block,corporate tower,corporate headquarters,headquarters,office",
        "a modern glass office skyscraper with a curtain wall",
        countable=True,
    ),
    _c(
        "structure",
        "tent",
        "tent,camping tent,campsite,campground,camp,encampment,bivouac,campfire,bonfire",
        "tents pitched round a campfire at a campsite",
        countable=True,
    ),
    _c("structure", "bridge", "bridge,viaduct,footbridge", "a bridge over the water", countable=True),
    _c("structure", "lighthouse", "lighthouse,beacon", "a lighthouse on the coast", countable=True),
    _c("structure", "windmill", "windmill,mill", "an old windmill", countable=True),
    _c(
        "structure",
        "boat",
        "boat,fishing boat,sailing boat,rowing boat,sailboat,rowboat,yacht,dinghy,trawler,ferry,ship,vessel,"
        "canoe,kayak,skiff,sloop,schooner,catamaran,motorboat,speedboat,steamer,fishing vessel,cruise ship,"
        "freighter,tugboat,gondola,punt",
        "fishing boats, sailing yachts and ferries",
        countable=True,
    ),
    _c(
        "structure",
        "harbour",
        "harbour,harbor,pier,jetty,dock,quay,wharf,marina,pontoon,landing stage,fishing harbour,fishing port,"
        "port,boardwalk",
        "a harbour with a pier and a stone quay",
        countable=True,
    ),
    _c(
        "structure",
        "road",
        "road,path,trail,track,street,highway,lane,footpath,dirt road,mountain pass,alpine pass,pass road,"
        "asphalt,motorway,freeway,boulevard,avenue,driveway,alley,alleyway,pavement,sidewalk",
        "a dirt road or path connecting places",
    ),
    _c("structure", "fences", "fence,fencing,wall,palisade,paddock,corral,railing,fenceline,fence line,stockade",
       "wooden fences along fields"),
    # props
    _c(
        "prop",
        "rocks",
        "rock,rocky,stone,pebble,boulder,outcrop",
        "scattered rocks and boulders",
        countable=True,
    ),
    _c("prop", "crates", "crate,box,cargo,supply,supplies", "wooden crates and supplies", countable=True),
    _c("prop", "barrels", "barrel,cask,keg", "wooden barrels", countable=True),
    _c(
        "prop",
        "vehicles",
        "vehicle,car,truck,van,jeep,wagon,cart,tractor,bus,suv,sedan,coupe,convertible,hatchback,pickup,"
        "limousine,motorbike,motorcycle,roadster,minivan,lorry,automobile,offroader,taxi,cab,supercar,racecar,"
        "hypercar,crossover,campervan,camper,rover,buggy,landcruiser,harvester",
        "parked cars and trucks",
        countable=True,
    ),
    _c("prop", "lamps", "lamp,lamppost,streetlight,lantern", "street lamps and lanterns", countable=True),
    # time of day
    _c("time", "dawn", "dawn,sunrise,daybreak,sunup,first light,break of day,crack of dawn,rising sun,sun rising", "early dawn at sunrise"),
    _c("time", "morning", "morning,forenoon", "bright morning"),
    _c("time", "noon", "noon,midday,day,daytime,daylight,sunny", "midday with the sun high in the sky"),
    _c("time", "afternoon", "afternoon", "late afternoon light"),
    _c(
        "time",
        "golden_hour",
        "golden hour,sunset,sundown,evening,golden,setting sun,sun setting,suns setting,sun going down",
        "golden sunset light in the evening",
    ),
    _c(
        "time",
        "dusk",
        "dusk,twilight,blue hour,gloaming,nightfall,last light",
        "dusk and twilight after the sun has set",
    ),
    _c(
        "time",
        "night",
        "night,midnight,nighttime,moonlight,moonlit,starry,stars,dark",
        "dark night under the moon and stars",
    ),
    # weather
    _c("weather", "clear", "clear,cloudless,fair,sunshine,blue sky", "clear blue sky with sunshine"),
    _c("weather", "overcast", "overcast,cloudy,grey,gray,clouds,cloud", "cloudy overcast grey sky"),
    _c("weather", "fog", "fog,foggy,mist,misty,haze,hazy,smog,murky", "thick fog and mist"),
    _c("weather", "rain", "rain,rainy,rainfall,drizzle,drizzly,showers,shower,wet,raining,downpour,rainstorm", "rain falling from grey clouds"),
    _c("weather", "snow", "snow,snowing,snowfall,blizzard,flurry,sleet,snowstorm,whiteout,snowfalls,flurries", "falling snow"),
    _c(
        "weather",
        "storm",
        "storm,stormy,thunder,thunderstorm,lightning,gale,tempest,windy",
        "a violent thunderstorm with strong wind",
    ),
    # seasons
    _c("season", "spring", "spring,springtime", "spring with fresh green leaves and blossoms"),
    _c("season", "summer", "summer,summertime,hot", "hot summer"),
    _c("season", "autumn", "autumn,fall,autumnal", "autumn with orange and red leaves"),
    _c("season", "winter", "winter,wintry,wintertime,cold", "cold winter"),
    # moods
    _c(
        "mood",
        "serene",
        "serene,calm,peaceful,tranquil,quiet,idyllic,cozy,cosy",
        "a calm, peaceful and serene place",
    ),
    _c(
        "mood",
        "gloomy",
        "gloomy,bleak,somber,sombre,dreary,melancholic,sad,grim",
        "a gloomy, bleak and dreary mood",
    ),
    _c(
        "mood",
        "eerie",
        "eerie,spooky,creepy,haunted,ominous,sinister,mysterious,mystical",
        "an eerie, mysterious and haunted atmosphere",
    ),
    _c(
        "mood",
        "majestic",
        "majestic,epic,grand,dramatic,vast,awe,breathtaking,cinematic",
        "a grand, epic and majestic landscape",
    ),
    _c(
        "mood", "cheerful", "cheerful,happy,bright,joyful,sunny,playful,lively", "a bright and cheerful place"
    ),
    _c(
        "mood",
        "desolate",
        "desolate,lonely,empty,forsaken,isolated,remote,wasteland",
        "a lonely, desolate and empty land",
    ),
    # palettes
    _c("palette", "natural", "natural,realistic,photoreal,photorealistic", "natural realistic colours"),
    _c("palette", "warm", "warm,orange,amber,fiery", "warm orange and amber colours"),
    _c("palette", "cool", "cool,blue,teal,icy blue,cyan", "cool blue and teal colours"),
    _c("palette", "muted", "muted,faded,desaturated,washed", "muted, faded, desaturated colours"),
    _c("palette", "vibrant", "vibrant,colorful,colourful,saturated,vivid", "vivid saturated colours"),
    _c("palette", "pastel", "pastel,soft,dreamy", "soft pastel colours"),
    _c(
        "palette",
        "monochrome",
        "monochrome,black and white,noir,greyscale,grayscale",
        "black and white monochrome",
    ),
    # animals (prompt/animalwords.py reads their counts and coats; generate/herds.py places them)
    _c("animal", "sheep", "sheep,lamb,lambs,ewe,ram", "a flock of sheep grazing", countable=True),
    _c("animal", "cattle", "cow,cattle,bull,calf,calves,ox,oxen,heifer,steer,bullock,bison,buffalo,yak,longhorn",
       "a herd of cows grazing in a pasture", countable=True),
    _c("animal", "horses", "horse,pony,foal,mare,stallion,colt,mustang,steed,bronco", "horses in a paddock",
       countable=True),
    _c("animal", "goats", "goat,billy goat,nanny goat,ibex", "goats on a rocky slope", countable=True),
    _c("animal", "deer", "deer,stag,doe,fawn,reindeer,elk,moose,roe deer,red deer,fallow deer",
       "deer at the edge of a forest", countable=True),
    _c("animal", "ducks", "duck,duckling,goose,geese,gosling,swan,mallard", "ducks and geese on a pond",
       countable=True),
    # a structure added after the animals, so the concepts before it keep their places (their ties, their rows):
    # a church with its nave, its bell tower and spire (a chapel's bellcote; generate/structures.py CHURCH_SIZES)
    _c("structure", "church",
       "church,chapel,cathedral,abbey,priory,monastery,minster,basilica,kirk,convent,friary,nunnery,steeple,belfry,"
       "bell tower,church tower,church spire,chapel spire,parish church,churchyard",
       "a village church with a steeple and a bell tower", countable=True),
)

BY_NAME: dict[str, Concept] = {c.name: c for c in CONCEPTS}


def names(category: str) -> tuple[str, ...]:
    """Concept names of one category, in vocabulary order."""
    return tuple(c.name for c in CONCEPTS if c.category == category)


#: words that stand for several concepts at once (mostly for negation: "no trees", "no buildings")
GROUPS: dict[str, tuple[str, ...]] = {
    "tree": ("conifers", "broadleaf", "palms", "dead_trees"),
    "forest": ("conifers", "broadleaf"),
    "vegetation": names("vegetation"),
    "plant": names("vegetation"),
    "structure": ("cabin", "house", "village", "city", "tower", "ruins", "bridge", "lighthouse", "windmill",
                  "church"),
    "building": ("cabin", "house", "village", "city", "tower", "ruins", "bridge", "lighthouse", "windmill",
                  "church"),
    "people": ("cabin", "house", "village", "vehicles"),
    "civilization": ("cabin", "house", "village", "tower", "road", "vehicles", "fences", "lamps"),
    "water": ("ocean", "lake", "river", "waterfall"),
    "prop": names("prop"),
    "animal": names("animal"),
    "wildlife": names("animal"),
}

#: words of a white winter on the ground, however a prompt names its snow ("snowy peaks" in "winter" are a
#: wintry world): read by the prompt reader and by generate/snowcover.py
WINTER_WORDS: frozenset[str] = frozenset(
    "winter wintry wintery frozen freezing icy ice iced blizzard snowfall snowing snowstorm tundra arctic polar "
    "glacier glaciers christmas december january february subzero sub-zero".split())

#: words used as group words only when negated ("no trees"); positively they are a concept word
GROUP_ONLY_WHEN_NEGATED: tuple[str, ...] = ("tree", "forest", "water", "animal", "wildlife", "structure")

#: relief biomes the generator knows; shore kinds
TERRAINS: tuple[str, ...] = names("terrain")
#: a coast word that names water held by land on three sides: the world's shore is then a bay (terrain.apply_shore)
BAY_WORDS = ("bay", "bays", "cove", "coves", "inlet", "inlets", "fjord", "fjords", "gulf")
SHORES: tuple[str, ...] = ("none",) + names("shore") + ("bay",)
WATERS: tuple[str, ...] = names("water")
VEGETATION: tuple[str, ...] = names("vegetation")
STRUCTURES: tuple[str, ...] = names("structure")
PROPS: tuple[str, ...] = names("prop")
TIMES: tuple[str, ...] = names("time")
WEATHERS: tuple[str, ...] = names("weather")
SEASONS: tuple[str, ...] = names("season")
MOODS: tuple[str, ...] = names("mood")
PALETTES: tuple[str, ...] = names("palette")
ANIMALS: tuple[str, ...] = names("animal")
STYLES: tuple[str, ...] = ("natural", "cinematic", "stylized", "painterly", "noir", "vintage")

#: relations between two concepts the generator honours
RELATIONS: dict[str, str] = {
    "by": "near",
    "near": "near",
    "beside": "near",
    "next": "near",
    "along": "near",
    "at": "near",
    "overlooking": "near",
    "close": "near",
    "around": "near",
    "beneath": "near",
    "below": "near",
    "under": "near",
    "facing": "near",
    "across": "near",
    "on": "on",
    "atop": "on",
    "above": "on",
    "upon": "on",
    "in": "in",
    "inside": "in",
    "within": "in",
}

#: default vegetation density per relief biome (0..1), used when the prompt does not say
BIOME_VEGETATION: dict[str, dict[str, float]] = {
    "mountains": {"conifers": 0.45, "grass": 0.5, "shrubs": 0.2},
    "hills": {"broadleaf": 0.35, "conifers": 0.1, "grass": 0.8, "shrubs": 0.25, "flowers": 0.2},
    "plains": {"broadleaf": 0.08, "grass": 0.9, "shrubs": 0.1, "flowers": 0.3},
    "canyon": {"shrubs": 0.15, "cactus": 0.1, "dead_trees": 0.03},
    "dunes": {"cactus": 0.06, "shrubs": 0.03},
    "snowfield": {"conifers": 0.08},
    "swamp": {"dead_trees": 0.15, "broadleaf": 0.25, "shrubs": 0.4, "grass": 0.6},
    "volcanic": {"dead_trees": 0.05, "shrubs": 0.05},
    "valley": {"broadleaf": 0.3, "conifers": 0.2, "grass": 0.8, "shrubs": 0.2, "flowers": 0.15},
}

#: how many of a structure a bare mention means: singular, plural
DEFAULT_COUNTS: dict[str, tuple[int, int]] = {
    "cabin": (1, 3),
    "house": (1, 4),
    "village": (1, 2),
    "tower": (1, 2),
    "skyscraper": (1, 1),
    "tent": (1, 4),
    "ruins": (1, 2),
    "bridge": (1, 2),
    "lighthouse": (1, 1),
    "windmill": (1, 3),
    "church": (1, 2),
    "boat": (1, 4),
    "harbour": (1, 1),
    "rocks": (1, 40),
    "crates": (1, 8),
    "barrels": (1, 8),
    "vehicles": (1, 3),
    "lamps": (1, 10),
    # animals: one, several ("sheep", "horses"); a herd or a flock is animalwords.HERD_COUNTS
    "sheep": (1, 14),
    "cattle": (1, 8),
    "horses": (1, 4),
    "goats": (1, 7),
    "deer": (1, 5),
    "ducks": (1, 6),
}

#: hard bounds on counts (a spec beyond them is refused)
MAX_COUNTS: dict[str, int] = {
    "cabin": 40,
    "house": 80,
    "village": 6,
    "tower": 12,
    "skyscraper": 3,
    "tent": 12,
    "ruins": 12,
    "bridge": 6,
    "lighthouse": 4,
    "windmill": 12,
    "church": 6,
    "boat": 24,
    "harbour": 3,
    "rocks": 2000,
    "crates": 500,
    "barrels": 500,
    "vehicles": 200,
    "lamps": 500,
    **{name: 200 for name in ANIMALS},
}


# ---------------------------------------------------------------------------------------------
# modifier + head noun ("black sand", "stone houses", "dry riverbed", "heavy rain")

#: head classes and the nouns that head them; a modifier qualifies the head noun it stands before
HEADS: dict[str, tuple[str, ...]] = {
    "sand": ("sand", "beach", "dune", "shore"),
    "water": ("water", "sea", "ocean", "lake", "bay", "lagoon", "pool", "harbour", "harbor", "loch", "fjord",
              "pond", "cove", "tide", "surf", "wave"),
    "building": ("house", "home", "farmhouse", "building", "structure", "barn", "villa", "dwelling", "cabin", "hut",
                 "cottage", "lodge", "chalet", "shack", "shed", "village", "hamlet", "town", "settlement",
                 "tower", "castle", "fort", "fortress", "ruin", "temple", "bridge", "lighthouse", "windmill",
                 "mill", "wall", "church", "chapel", "cathedral", "abbey", "priory",
                 "monastery", "minster", "basilica", "kirk", "street", "city", "metropolis", "skyline", "cityscape",
                 "skyscraper", "highrise", "downtown", "office"),
    "river": ("river", "riverbed", "stream", "creek", "brook", "channel", "canal", "bed", "wadi"),
    "road": ("road", "path", "trail", "track", "street", "highway", "lane", "footpath", "pass", "drive", "asphalt",
             "avenue", "boulevard", "alley", "pavement", "sidewalk"),
    "trees": ("tree", "forest", "wood", "woodland", "grove", "orchard", "blossom", "leaf", "leave", "foliage",
              "oak", "birch", "maple", "beech", "pine", "fir", "spruce", "cherry", "canopy", "cypress", "broadleaf",
              "deciduous"),
    "precipitation": ("rain", "rainfall", "downpour", "shower", "drizzle", "snow", "snowfall", "blizzard",
                      "sleet", "storm", "rainstorm", "snowstorm"),
    "fog": ("fog", "mist", "haze", "smog", "fogbank"),
    "rock": ("rock", "stone", "boulder", "cliff", "crag", "outcrop", "pebble", "spire", "canyon", "gorge", "mesa",
             "mountain", "peak", "summit", "massif"),  # "grey mountains" are of grey rock, not an overcast day
    "sky": ("sky", "cloud", "heaven"),
    "vehicle": ("car", "truck", "van", "jeep", "suv", "sedan", "coupe", "convertible", "hatchback", "vehicle",
                "pickup", "bus", "taxi", "cab", "roadster", "limousine", "offroader", "supercar", "racecar",
                "motorbike", "motorcycle", "lorry", "minivan", "automobile", "wagon", "hypercar", "crossover",
                "campervan", "camper", "rover", "buggy", "tractor", "harvester"),
    "boat": ("boat", "sailboat", "rowboat", "yacht", "dinghy", "trawler", "ferry", "ship", "vessel", "canoe",
             "kayak", "skiff", "sloop", "schooner", "catamaran", "motorboat", "speedboat", "steamer", "freighter",
             "tugboat", "gondola", "punt"),
    # animals: a coat word before one ("black sheep", "a brown horse") is its coat, never the night or a palette
    "sheep": ("sheep", "lamb", "ewe", "ram"),
    "cattle": ("cow", "cattle", "bull", "calf", "calves", "ox", "oxen", "heifer", "steer", "bullock", "bison",
               "buffalo", "yak", "longhorn"),
    "horses": ("horse", "pony", "ponies", "foal", "mare", "stallion", "colt", "mustang", "steed", "bronco"),
    "goats": ("goat", "ibex"),
    "deer": ("deer", "stag", "doe", "fawn", "reindeer", "elk", "moose"),
    "ducks": ("duck", "duckling", "goose", "geese", "gosling", "swan", "mallard"),
}

#: per head class, modifier word -> the value it gives that head (spec.modifiers[head])
MODIFIERS: dict[str, dict[str, str]] = {
    "sand": {"wet": "wet", "black": "black", "dark": "black", "volcanic": "black", "white": "white", "pale": "white",
             "golden": "golden", "yellow": "golden", "red": "red", "orange": "red", "pink": "pink",
             "grey": "grey", "gray": "grey", "pebble": "pebble", "pebbly": "pebble", "shingle": "pebble",
             "shingly": "pebble", "gravel": "pebble", "gravelly": "pebble", "cobble": "pebble"},
    "water": {"dark": "dark", "black": "dark", "inky": "dark", "deep": "dark", "clear": "clear",
              "crystal": "clear", "sparkling": "clear", "turquoise": "turquoise", "aqua": "turquoise",
              "emerald": "green", "green": "green", "murky": "murky", "muddy": "murky", "brown": "murky",
              "blue": "blue", "azure": "blue", "cobalt": "blue", "frozen": "frozen", "icy": "frozen",
              "iced": "frozen", "ice": "frozen", "frosted": "frozen"},
    "building": {"stone": "stone", "brick": "brick", "wooden": "wood", "wood": "wood", "timber": "wood",
                 "log": "wood", "white": "white", "whitewashed": "white", "red": "red", "painted": "painted",
                 "colourful": "painted", "colorful": "painted", "concrete": "concrete", "adobe": "adobe",
                 "mud": "adobe", "thatched": "wood", "glass": "concrete", "modern": "concrete", "contemporary": "concrete",
                 "grey": "stone", "gray": "stone",
                 "neon": "neon", "futuristic": "futuristic", "sleek": "futuristic", "scifi": "futuristic",
                 "utopian": "futuristic", "hightech": "futuristic"},
    "river": {"dry": "dry", "dried": "dry", "empty": "dry", "parched": "dry", "cracked": "dry", "frozen": "frozen",
              "icy": "frozen", "iced": "frozen"},
    "road": {"wet": "wet", "winding": "winding", "twisting": "winding", "serpentine": "winding", "curving": "winding",
             "meandering": "winding", "switchback": "winding", "straight": "straight", "long": "straight",
             "dirt": "dirt", "gravel": "dirt", "muddy": "dirt", "unpaved": "dirt", "paved": "paved",
             "coastal": "coastal", "cliffside": "coastal", "seaside": "coastal", "alpine": "winding",
             "mountain": "winding", "lakeside": "coastal", "lakeshore": "coastal", "shoreline": "coastal",
             "oceanside": "coastal", "clifftop": "coastal", "waterfront": "coastal", "shore": "coastal",
             "cliff": "coastal",
             "narrow": "narrow", "cobbled": "narrow", "cobblestone": "narrow"},
    "trees": {"cherry": "blossom", "sakura": "blossom", "almond": "blossom", "blossoming": "blossom",
              "flowering": "blossom", "blooming": "blossom", "blossom": "blossom", "pink": "blossom",
              "birch": "birch", "silver": "birch", "aspen": "birch", "autumn": "autumn", "autumnal": "autumn",
              "fall": "autumn", "golden": "autumn", "orange": "autumn", "red": "autumn", "yellow": "autumn",
              "russet": "autumn", "bare": "bare", "leafless": "bare", "dark": "dark", "shadowy": "dark",
              "black": "dark", "green": "green", "verdant": "green"},
    "precipitation": {"heavy": "heavy", "pouring": "heavy", "torrential": "heavy", "driving": "heavy",
                      "lashing": "heavy", "hard": "heavy", "thick": "heavy", "light": "light",
                      "gentle": "light", "soft": "light", "fine": "light", "thin": "light", "slight": "light"},
    "fog": {"thick": "heavy", "dense": "heavy", "heavy": "heavy", "deep": "heavy", "impenetrable": "heavy",
            "light": "light", "thin": "light", "faint": "light", "wispy": "light", "patchy": "light"},
    "rock": {"wet": "wet", "mossy": "mossy", "black": "black", "dark": "black", "red": "red", "grey": "grey", "gray": "grey",
             "white": "white", "pale": "white", "golden": "golden", "ochre": "red"},
    "sky": {"dark": "dark", "black": "dark", "red": "red", "pale": "pale", "white": "pale"},
    "vehicle": {"black": "black", "red": "red", "silver": "silver", "white": "white", "blue": "blue",
                "yellow": "yellow", "green": "green", "grey": "silver", "gray": "silver", "dark": "black"},
    "boat": {"red": "red", "blue": "blue", "white": "white", "green": "green", "yellow": "yellow",
             "black": "black", "dark": "black", "wooden": "wood", "wood": "wood", "orange": "orange"},
    "sheep": {"white": "white", "black": "black", "dark": "black", "grey": "grey", "gray": "grey", "brown": "brown",
              "cream": "white", "piebald": "patched", "spotted": "patched", "jacob": "patched"},
    "cattle": {"black": "black", "dark": "black", "brown": "brown", "white": "white", "cream": "white",
               "red": "red", "ginger": "red", "highland": "red", "hereford": "red", "friesian": "patched",
               "holstein": "patched", "dairy": "patched", "spotted": "patched", "patched": "patched",
               "piebald": "patched", "angus": "black", "jersey": "brown"},
    "horses": {"black": "black", "dark": "black", "brown": "brown", "bay": "brown", "chestnut": "chestnut",
               "sorrel": "chestnut", "red": "chestnut", "white": "white", "grey": "grey", "gray": "grey",
               "dapple": "grey", "dappled": "grey", "palomino": "golden", "golden": "golden", "piebald": "patched",
               "pinto": "patched", "skewbald": "patched", "spotted": "patched", "wild": "brown"},
    "goats": {"white": "white", "black": "black", "dark": "black", "brown": "brown", "grey": "grey",
              "gray": "grey", "mountain": "white", "spotted": "patched"},
    "deer": {"red": "red", "brown": "red", "fallow": "fallow", "spotted": "fallow", "white": "white",
             "roe": "red", "dark": "brown", "grey": "grey", "gray": "grey"},
    "ducks": {"white": "white", "black": "black", "dark": "black", "brown": "brown", "grey": "grey", "gray": "grey",
              "mallard": "brown", "wild": "brown"},
}

#: (head class, modifier word) pairs whose word is also read as its own concept ("autumn forest" is autumn)
KEEPS: frozenset[tuple[str, str]] = frozenset(
    (h, w)
    for h, words in {
        "sand": "volcanic",
        "water": "muddy frozen icy iced ice frosted",
        "river": "frozen icy iced",
        "road": "coastal cliffside seaside alpine mountain muddy lakeside lakeshore shoreline oceanside clifftop "
                "waterfront shore",
        "trees": "cherry sakura almond birch aspen autumn autumnal fall",
        "building": "",
        "cattle": "highland",
        "goats": "mountain",
    }.items()
    for w in words.split()
)

#: nouns that carry a modifier of their own: word -> (head class, value)
IMPLIED: dict[str, tuple[str, str]] = {
    "neon": ("building", "neon"),  # neon signs and windows: magenta and cyan light at night
    "cyberpunk": ("building", "neon"),
    "alley": ("road", "narrow"),  # a lane between close rows of houses (generate/alley.py)
    "alleyway": ("road", "narrow"),
    "futuristic": ("building", "futuristic"),  # sleek glass highrises with lit edges (generate/city.py)
    "scifi": ("building", "futuristic"),
    "canal": ("river", "canal"),
    "wadi": ("river", "dry"),
    "arroyo": ("river", "dry"),
    "sakura": ("trees", "blossom"),
    "birch": ("trees", "birch"),
    "cypress": ("trees", "cypress"),  # the tall narrow column of a Mediterranean cypress
    "cherry": ("trees", "blossom"),
    "blizzard": ("precipitation", "heavy"),
    "snowstorm": ("precipitation", "heavy"),
    "whiteout": ("precipitation", "heavy"),
    "downpour": ("precipitation", "heavy"),
    "drizzle": ("precipitation", "light"),
    "switchback": ("road", "winding"),
    "fjord": ("shore", "cliffs"),
    "cliffside": ("shore", "cliffs"),
    "headland": ("shore", "cliffs"),
    "serpentine": ("road", "winding"),
}

#: IMPLIED words that are no concept of their own: read as their modifier wherever they stand, never "not understood"
IMPLIED_ONLY: frozenset[str] = frozenset({"futuristic", "scifi"})

#: post-modifiers: head class -> (words after the head, value) ("cherry trees in bloom")
POST_MODIFIERS: dict[str, tuple[tuple[tuple[str, ...], str], ...]] = {
    "trees": (
        (("in", "full", "bloom"), "blossom"),
        (("in", "full", "blossom"), "blossom"),
        (("in", "bloom"), "blossom"),
        (("in", "blossom"), "blossom"),
        (("in", "flower"), "blossom"),
        (("in", "autumn", "colour"), "autumn"),
        (("in", "autumn", "color"), "autumn"),
    ),
}

#: how the sea runs (spec.modifiers["sea"], read by understand._sea_state; water.frag draws it): "calm" is glassy with a
#: faint lap at the shore, "surf" long breakers rolling in white onto the beach, "rough" high broken water, white
#: far out. A word beside a sea word ("a calm sea", "big waves", "the sea crashing") says which
SEA_STATE_WORDS: dict[str, str] = {
    **dict.fromkeys("calm still glassy flat placid tranquil gentle smooth quiet lapping mirror mirrored sheltered "
                    "peaceful serene".split(), "calm"),
    **dict.fromkeys("big huge giant large high tall massive rolling breaking curling surfing surfable crashing "
                    "pounding thundering booming".split(), "surf"),
    **dict.fromkeys("rough stormy choppy wild raging angry heavy turbulent churning towering violent furious "
                    "wind-whipped whipped storm-tossed tossing boiling foaming frothing".split(), "rough"),
}
#: sea words the state words go with ("a calm sea", "waves crashing")
SEA_STATE_HEADS: frozenset[str] = frozenset(
    "sea seas ocean oceans water waters wave waves surf swell swells breaker breakers roller rollers lagoon bay "
    "cove tide tides surface".split())
#: nouns that name surf on their own ("surfers", "breakers"): the sea runs in long white breakers
SURF_NOUNS: frozenset[str] = frozenset(
    "surf surfs surfer surfers surfing surfboard surfboards breaker breakers roller rollers swell swells".split())
#: people in the surf: the world has no figures to put on a board, so these get a "not honoured" note
SURF_PEOPLE: frozenset[str] = frozenset("surfer surfers surfing surfboard surfboards bodyboarder bodyboarders "
                                        "windsurfer windsurfers kitesurfer kitesurfers swimmer swimmers".split())
#: state words that are also read as what they name elsewhere ("calm": a serene mood; "stormy": a storm)
SEA_STATE_KEEPS: frozenset[str] = frozenset("calm tranquil peaceful serene quiet stormy".split())

#: the values each head class takes in WorldSpec.modifiers (validated there); "shore" is set by the reader
MODIFIER_VALUES: dict[str, tuple[str, ...]] = {
    **{head: tuple(dict.fromkeys(table.values())) for head, table in MODIFIERS.items()},
    "river": ("dry", "canal", "frozen"),
    "shore": ("cliffs",),
    "sea": ("calm", "surf", "rough"),
}
MODIFIER_VALUES["trees"] = tuple(dict.fromkeys((*MODIFIER_VALUES["trees"], "cypress")))
#: a building material per structure kind, where the prompt builds kinds of different things (prompt/understand.py)
for _kind in ("cabin", "house", "bridge", "tower", "church"):
    MODIFIER_VALUES[f"building.{_kind}"] = MODIFIER_VALUES["building"]
for _animal in ANIMALS:  # "black and white cows" (prompt/animalwords.py) are patched whatever the table says
    MODIFIER_VALUES[_animal] = tuple(dict.fromkeys((*MODIFIER_VALUES[_animal], "patched")))
