"""The demo events, as plain data taken from the seed documents (see the shared seeds folder).

- Faglig Fællesskabsdag (seed 000): the reference one-day event, complete.
- Socialrådgiverdage 2017 (seed 001): the large two-day event. The seed names its
  keynote speakers and its scale (6 blocks, 90+ workshops, the themes) but few
  workshops, so all but one of its workshops are generated examples, marked
  "Eksempel: " in the title and said to be generated in the description. The one
  real workshop is the employment-focused casework workshop of seed 003.
- KKR konference 2021 (seed 004): the free, online two-hour conference, complete.

Each event belongs to its organiser (``ORGANISATIONS``): the association's
region, the association nationally, the municipal council. What an
organisation's record says beyond its name (addresses, the data controller)
is made up and marked "(demo)"; the e-mail addresses are on example.org.

Days lie in the future relative to the day the command runs, so that registration
is open in the demo; the seeds' weekdays are kept (Socialrådgiverdage ran
Wednesday–Thursday, the KKR conference on a Tuesday). Nothing here touches the
database: the command turns these facts into rows.
"""

import datetime
from dataclasses import dataclass, replace
from decimal import Decimal

from events.models import Session
from registrations.models import Question, StandardQuestion

MONDAY, TUESDAY, WEDNESDAY, THURSDAY = range(4)


def hhmm(text: str) -> datetime.time:
    """A wall-clock time written as the seeds write it: "08.45"."""
    hours, minutes = text.split(".")
    return datetime.time(int(hours), int(minutes))


@dataclass(frozen=True)
class Person:
    name: str
    role: str = ""
    organisation: str = ""


@dataclass(frozen=True)
class PlenaryFacts:
    starts: str
    ends: str
    kind: str
    title: str
    description: str = ""
    speakers: tuple[Person, ...] = ()
    day: int = 0  # 0 = the event's first day


@dataclass(frozen=True)
class WorkshopFacts:
    title: str
    description: str
    capacity: int
    room: str = ""
    online_link: str = ""
    theme: str = ""
    speakers: tuple[Person, ...] = ()
    facilitators: tuple[Person, ...] = ()


@dataclass(frozen=True)
class BlockFacts:
    starts: str
    ends: str
    title: str
    workshops: tuple[WorkshopFacts, ...]
    day: int = 0


@dataclass(frozen=True)
class OrganisationFacts:
    name: str
    short_name: str
    contact_email: str
    privacy_controller: str
    organiser_login: str  # the username ``demo_admin`` gives the organisation's organiser
    privacy_email: str = ""
    sender_name: str = ""
    reply_to: str = ""
    membership_number_label: str = ""


@dataclass(frozen=True)
class QuestionFacts:
    """A question of the event's own."""

    label: str
    kind: str
    choices: tuple[str, ...] = ()
    help_text: str = ""
    required: bool = False


@dataclass(frozen=True)
class EventFacts:
    slug: str
    title: str
    summary: str
    description: str
    organisation: OrganisationFacts
    contact_name: str
    contact_email: str
    first_day: datetime.date
    last_day: datetime.date
    price: Decimal
    sessions: tuple[PlenaryFacts, ...]
    blocks: tuple[BlockFacts, ...]
    is_online: bool = False
    online_link: str = ""  # of the plenary sessions
    venue: str = ""
    address: str = ""
    practical_information: str = ""
    catering: str = ""
    attendee_limit: int | None = None
    # How the event asks the standard questions it chooses for itself (field, ask);
    # the others it asks as ``registrations.models.DEFAULT_ASK`` says.
    standard_questions: tuple[tuple[str, str], ...] = ()
    questions: tuple[QuestionFacts, ...] = ()

    @property
    def organiser(self) -> str:
        return self.organisation.name


def paragraphs(*texts: str) -> str:
    return "\n\n".join(texts)


# --- The organisers -------------------------------------------------------------

DS_MEMBERSHIP_NUMBER = "Medlemsnummer i DS"

REGION_OEST = OrganisationFacts(
    name="Dansk Socialrådgiverforening, Region Øst",
    short_name="DS Region Øst",
    contact_email="region.oest@example.org",
    privacy_controller=(
        "Dansk Socialrådgiverforening, Region Øst, Eksempelvej 2, 2300 København S (demo)"
    ),
    sender_name="DS Region Øst",
    membership_number_label=DS_MEMBERSHIP_NUMBER,
    organiser_login="arrangoer-region-oest",
)
DS = OrganisationFacts(
    name="Dansk Socialrådgiverforening",
    short_name="DS",
    contact_email="ds@example.org",
    privacy_controller="Dansk Socialrådgiverforening, Eksempelvej 3, 1253 København K (demo)",
    privacy_email="persondata.ds@example.org",
    sender_name="Dansk Socialrådgiverforening",
    membership_number_label=DS_MEMBERSHIP_NUMBER,
    organiser_login="arrangoer-ds",
)
KKR_MIDTJYLLAND = OrganisationFacts(
    name="KKR Midtjylland",
    short_name="KKR Midtjylland",
    contact_email="kkr.midtjylland@example.org",
    privacy_controller="KKR Midtjylland, sekretariatet, Eksempelvej 4, 8000 Aarhus C (demo)",
    sender_name="KKR Midtjylland",
    organiser_login="arrangoer-kkr",
)
ORGANISATIONS = (REGION_OEST, DS, KKR_MIDTJYLLAND)

Field, Ask = StandardQuestion.Field, StandardQuestion.Ask
# DS's days are for members: each attendee gives their membership number.
DS_MEMBER_EVENT = ((Field.MEMBERSHIP_NUMBER, Ask.REQUIRED),)


# --- Dates -------------------------------------------------------------------


def _in_christmas_holidays(day: datetime.date) -> bool:
    return (day.month == 12 and day.day >= 20) or (day.month == 1 and day.day <= 5)


def weekday_from(today: datetime.date, *, weeks: int, weekday: int) -> datetime.date:
    """The first given weekday at least ``weeks`` weeks from today, outside the Christmas holidays.

    It moves only once a week as today advances, so the demo's days (and with them
    the programme rows) stay put between most app starts.
    """
    day = today + datetime.timedelta(weeks=weeks)
    day += datetime.timedelta(days=(weekday - day.weekday()) % 7)
    while _in_christmas_holidays(day):
        day += datetime.timedelta(weeks=1)
    return day


# --- Faglig Fællesskabsdag (seed 000) ------------------------------------------

MORTEN_EJRNAES = Person("Morten Ejrnæs", "sociolog og lektor emeritus", "Aalborg Universitet")
HELLE_ANTCZAK = Person("Helle Antczak", "lektor", "Københavns Professionshøjskole")
KLAVS_BIRKHOLM = Person("Klavs Birkholm", "direktør", "tænketanken TeknoEtik")

FF_BLOCK_1 = (
    WorkshopFacts(
        title="Den gode, helhedsorienterede ungeindsats",
        theme="børn/familie",
        room="Lokale 1",
        capacity=40,
        speakers=(
            Person("Anne Steffensen", "socialrådgiver", "Ungeindsatsen, Glostrup Kommune"),
            Person("Ayhan Gormez", "leder", "Ungeindsatsen, Glostrup Kommune"),
        ),
        description=paragraphs(
            "Ungeindsatsen i Glostrup Kommune er en højt prioriteret, helhedsorienteret "
            "indsats, der tilbyder unge (fra 8. klasse til 30 år) rådgivning og vejledning om "
            "alt fra uddannelse og arbejde til familieforhold, boligforhold og alt det, der kan "
            "være svært i livet.",
            "Demet og Ayhan vil komme ind på:",
            "Ungeindsatsens DNA: Hvilke værdisøjler står vi på, når vi udøver myndighed og "
            "indsats?",
            "Hvorfor denne ungeindsats i Glostrup?",
            "Hvad har været en succes og hvor har vi haft det svært?",
            "Hvad gør vi i relation til Ungereformen?",
            "Fokusområder i 2020 og fremad.",
            "– og inviterer til refleksioner omkring ungeliv og vores ageren i det.",
        ),
    ),
    WorkshopFacts(
        title="Projekt ”Fremskudt Funktion fra Psykiatrien” – et styrket tværsektorielt "
        "samarbejde om børn og unge i mistrivsel",
        theme="børn/familie",
        room="Lokale 2",
        capacity=40,
        speakers=(
            Person(
                "Sisi Ploug Pedersen",
                "tværkommunal projektkonsulent og formand for DS’ faggruppe Børn, Unge og Familier",
                "Region Syddanmark",
            ),
        ),
        description=paragraphs(
            "Projekt ”Fremskudt Funktion fra Psykiatrien” skal fra 2019 til 2021 opkvalificere "
            "regionale og kommunale medarbejdere til at understøtte, styrke og udvikle "
            "samarbejdet om børn og unge i mistrivsel i Region Syddanmark. Målgruppen er børn "
            "og unge i aldersgruppen 6 til 18 år, som ikke har behov for en indsats i børne- og "
            "ungdomspsykiatrien men for en særlig indsats i nærmiljøet. Børnene skal bevare "
            "tilknytningen til hverdagslivet, og familien skal opleve et godt samarbejde mellem "
            "psykiatrien og kommunen. Vi skal forebygge, at børnene og de unge står uden "
            "indsatser, fordi de ikke er i målgruppen for psykiatrien og er svære at løfte for "
            "kommunerne uden sparring fra psykiatrien. Der etableres bl.a. tværsektorielle "
            "sparringsteams, og målet er at udvikle en permanent samarbejdsmodel.",
            "Workshoppen lægger op til drøftelse af om der er brug for det ekstra ”rum” som "
            "fagperson, hvordan samarbejdet mellem psykiatri og kommunerne opleves i dag og "
            "hvordan vi som faggruppe selv være med til at styrke det.",
        ),
    ),
    WorkshopFacts(
        title="Hovedloven for borgere med komplekse problemer – hvad er status og hvilke "
        "muligheder stiller den socialrådgiveren overfor?",
        theme="udsatte",
        room="Lokale 3",
        capacity=40,
        speakers=(
            Person(
                "Mette-Louise Rohde",
                "programleder for ”Sammenhængende borgerforløb”",
                "Ballerup Kommune",
            ),
            Person(
                "Henrik Egelund Nielsen",
                "konsulent i afdeling Fag og Politik",
                "Dansk Socialrådgiverforening",
            ),
        ),
        description=paragraphs(
            "Med ”Aftale om rammerne for en helhedsorienteret indsats for borgere med komplekse "
            "problemer” skal alle kommuner efter 2021 kunne tilbyde et sammenhængende forløb med "
            "udgangspunkt i én samlet udredning og handleplan for borgeren eller familien med "
            "mange indsatser og kontaktflader i kommunen og andre offentlige instanser.",
            "Ambitionen er Hovedlov, der på tværs af love rammesætter en mere helhedsorienteret "
            "indsats for borgere med komplekse udfordringer, så borgerne i højere grad bliver i "
            "stand til at mestre eget liv og komme tættere på en tilknytning til "
            "arbejdsmarkedet.",
            "I workshoppen præsenteres status på Hovedloven og erfaringer fra "
            "frikommuneforsøg. Der lægges op til debat om hvilke muligheder – og krav – "
            "Hovedloven stiller kommunerne og socialrådgiverne overfor.",
            "Mette-Louise Rohde fortæller om erfaringerne fra Ballerup Kommune, som er en del af "
            "frikommunenetværket ”En Plan for en sammenhængende indsats sammen med borgeren”.",
        ),
    ),
    WorkshopFacts(
        title="Vejen til at gøre aktivitetsparate kontanthjælpsmodtagere med sociale problemer "
        "arbejdsklare – etiske dilemmaer og praktiske problemer",
        theme="beskæftigelse",
        room="Lokale 4",
        capacity=40,
        speakers=(
            Person("Kirsten Holm", "tidligere leder", "Projekt Springbræt"),
            Person("Harald Pedersen", "socialrådgiver"),
        ),
        description=paragraphs(
            "Hvordan kan man motivere og skabe relation med borgere, der har komplekse og ofte "
            "uklare problemstillinger?",
            "Kirsten og Harald lægger op til diskussion og vil komme med forslag til en "
            "understøttende indsats for at bringe aktivitetsparate kontanthjælpsmodtagere "
            "tættere på arbejdsmarkedet. Indsatsen kan bestå i motivation, som fører videre til "
            "at der kan etableres virksomhedsbesøg og snusepraktik. Formålet er, at borgeren "
            "støttes i deres udvikling og samtidig præsenteres for de krav, som stilles på "
            "arbejdsmarkedet. Her tages udgangspunkt i de metoder, som Projekt Springbræt har "
            "udviklet og arbejdet med gennem lang tid.",
        ),
    ),
)

FF_BLOCK_2 = (
    WorkshopFacts(
        title="Samarbejde mellem sundhedssystem og jobcenter",
        theme="beskæftigelse",
        room="Lokale 1",
        capacity=40,
        speakers=(
            Person("Benny Ehrenreich", "praktiserende læge"),
            Person(
                "Edda Luth",
                "uddannelseskoordinator for Diplom- og Akademiuddannelsen i beskæftigelse",
                "VIA University College",
            ),
        ),
        description=paragraphs(
            "Mange praktiserende læger oplever, at deres lægefaglige vurderinger bliver "
            "ignoreret af jobcenteret og at det går ud over deres patienter. I jobcenteret skal "
            "sundhedsfaglige oplysninger alene anvendes som en del af et samlet grundlag for at "
            "vurdere borgerens mulighed for at arbejde. Problemstillingen om sammenstød mellem "
            "politik, lovgivning og de to fagområder er velkendt, og ofte er det borgeren, der "
            "kommer i klemme.",
            "Workshoppen rammesætter og diskuterer hvad der skal til for at skabe det gode "
            "samarbejde mellem sundhedssystemet og jobcenteret. Hvordan bliver vi bedre til at "
            "forstå hinandens udgangspunkter og til at bygge bro til borgerens bedste? Edda og "
            "Benny indleder diskussion med deres perspektiver. Herefter kan du bidrage med dine "
            "egne gode idéer, så workshoppen kan munde ud i et idékatalog, der kan inspirere til "
            "samarbejde i stedet for modarbejde.",
        ),
    ),
    WorkshopFacts(
        title="Handler det om ære?",
        theme="udsatte",
        room="Lokale 2",
        capacity=40,
        speakers=(Person("Anna Barfod Rye", "rådgiver", "RED Center"),),
        description=paragraphs(
            "Alle socialrådgivere, der møder etniske minoriteter i deres arbejde, vil støde på "
            "problematikker, der omhandler ære, skam og negativ social kontrol.",
            "I denne workshop vil du blive klogere på, hvordan du identificerer æresrelaterede "
            "konflikter og negativ social kontrol, og hvad du skal være særlig opmærksom på, "
            "hvis æresbegrebet har stor betydning for den enkelte og familien.",
        ),
    ),
    WorkshopFacts(
        title="Er en 4-dages arbejdsuge vejen til et balanceret arbejdsliv?",
        theme="profession",
        room="Lokale 3",
        capacity=40,
        speakers=(
            Person(
                "Henrik Lund",
                "",
                "Center for Arbejdslivsforskning, Roskilde Universitet",
            ),
            Person("Connie Bronnée", "TR", "Odsherred Kommune"),
        ),
        description=paragraphs(
            "Diskussionen om 4-dages arbejdsuge lever mange steder, både hos politikere og i "
            "fagbevægelsen. Men hvad er egentlig op og ned i diskussionen? Hvordan kan en "
            "4-dages arbejdsuge strikkes sammen, så den giver mest værdi for både medarbejdere "
            "og borgere? Hvilke erfaringer er der på det private og offentlige arbejdsmarked? "
            "Og hvilke rammer skal der til for, at du finder en arbejdsuge på fire dage "
            "tillokkende?",
            "I Odsherred Kommune har alle administrative medarbejder, her under socialrådgivere "
            "i myndighedsfunktioner, siden september haft mulighed for at tilvælge en 4-dages "
            "arbejdsuge. Medlemmers tilbagemeldinger og DS’ motivation for at tiltræde aftalen "
            "i Odsherred præsenteres som indledning til debatten.",
        ),
    ),
    WorkshopFacts(
        title="Hvordan sikrer vi anbragte børn indflydelse?",
        theme="børn/familie",
        room="Lokale 4",
        capacity=40,
        speakers=(
            Person("David Adrian Pedersen", "formand", "De Anbragtes Vilkår"),
            Person("Ditte Brøndum", "næstformand", "Dansk Socialrådgiverforening"),
        ),
        description=paragraphs(
            "Statsministerens nytårstale og varsel om en ”Barnets Lov” har i den grad skabt "
            "fokus på anbringelsesområdet.",
            "Et helt centralt omdrejningspunkt i det gode anbringelsesforløb er inddragelsen af "
            "barnet. Men hvordan får lovgivningen, kommunen og den enkelte socialrådgiver sat "
            "ramme for en inddragelse, der giver mest mulig mening for barnet? Hvilken viden, "
            "uddannelse og konkrete værktøjer kan understøtte den gode inddragelse?",
            "Med udgangspunkt i deres fælles kronik fra februar, lægger David og Ditte op til "
            "debat om ikke mindst den enkelte socialrådgivers rolle og ansvar.",
        ),
    ),
)

FF_SESSIONS = (
    PlenaryFacts("08.45", "09.15", Session.Kind.MEAL, "Morgenbrød"),
    PlenaryFacts("09.15", "09.30", Session.Kind.WELCOME, "Velkomst"),
    PlenaryFacts(
        "09.30",
        "10.45",
        Session.Kind.KEYNOTE,
        "Hvordan vurderer socialrådgivere risiko? Hvad påvirker risikovurderingerne: Viden, "
        "myter eller mavefornemmelser? Og hvad betyder det for borgerne?",
        speakers=(MORTEN_EJRNAES,),
        description=paragraphs(
            "Socialrådgivere har ofte nøglepositioner i forhold til vurderinger og "
            "beslutninger, der angår borgeres nuværende og fremtidige situation. Det gælder når "
            "vi i en familieafdeling modtager underretninger om børn og unge fra andre "
            "professionelle, når vi skal vurdere om det bliver nødvendigt med en "
            "tvangsanbringelse eller -adoption, når der skal laves vurderinger af risiko for "
            "arbejdsløshed i jobcenter og rehabiliteringsteam, når der skal tages stilling til "
            "tilbud og behandling inden for misbrugsområdet – og så videre.",
            "Med udgangspunkt i en ny undersøgelse kaster Morten lys over hvordan "
            "socialrådgivere vurderer en række situationer, der er beskrevet i cases. At der er "
            "tendens til overvurdering af risikoen og at vurderingerne er meget forskellige. "
            "Morten peger på årsager og konsekvenser til dette og lægger op til diskussion af "
            "hvordan vores risikovurderinger kan kvalificeres.",
            "Varm op med artiklen i Socialrådgiveren fra januar, hvor Morten referer fra "
            "undersøgelsen om professionelles faglige risikovurderinger.",
        ),
    ),
    PlenaryFacts("10.45", "11.00", Session.Kind.BREAK, "Pause"),
    PlenaryFacts("12.30", "13.15", Session.Kind.MEAL, "Frokost"),
    PlenaryFacts(
        "13.15",
        "14.30",
        Session.Kind.KEYNOTE,
        "Etiske udfordringer når det sociale arbejde digitaliseres",
        speakers=(HELLE_ANTCZAK, KLAVS_BIRKHOLM),
        description=paragraphs(
            "Digitalisering af socialt arbejde har længe været på dagsordenen i landets "
            "kommuner, hvor der på livet løs eksperimenteres med robotter, netrådgivning m.m. "
            "Ministerier og styrelser vil hurtigst muligt have sagsbehandlingen til at foregå på "
            "”ekstremt effektive digitale hovedveje”, mens det ”kun er på bivejene”, man "
            "”måske møder et menneske”.",
            "Desværre halter debatten om de etiske og professionsfaglige konsekvenser af denne "
            "udvikling mildest talt bagefter. Både sagsbehandlernes og borgernes møde med de "
            "digitale systemer trænger til at blive gennemlyst. Oplægget vil stille skarpt på en "
            "række konkrete eksempler og give et bud på, hvad der kan gøres.",
        ),
    ),
    PlenaryFacts("14.30", "14.45", Session.Kind.BREAK, "Kage"),
    PlenaryFacts("16.15", "16.30", Session.Kind.CLOSING, "Fælles opsamling og tak for i dag"),
)


def faglig_faellesskabsdag(today: datetime.date) -> EventFacts:
    day = weekday_from(today, weeks=3, weekday=THURSDAY)
    return EventFacts(
        slug="faglig-faellesskabsdag",
        title="Faglig Fællesskabsdag",
        summary=(
            "En hel dag med fagligheden og fællesskabet i centrum: to hovedoplæg og 2 × 4 "
            "workshops fra forskellige hjørner af faget."
        ),
        description=paragraphs(
            "Corona forhindrede os desværre i at holde Faglig Fællesskabsdag i foråret. Nu "
            "prøver vi igen og Region Øst slår dørene op for en hel dag med fagligheden og "
            "fællesskabet i centrum.",
            "Med to hovedoplæg, der taler til kernen i alle socialrådgiveres virke, og 2 x 4 "
            "workshops fra forskellige hjørner af faget, kan du regne med at komme hjem med et "
            "fagligt boost, uagtet om du er offentligt ansat, privatansat eller selvstændig.",
            "Emnerne spænder over faglige risikovurderinger, den gode ungeindsats, "
            "tværsektorielt samarbejde, samarbejde mellem sundhedssystem og jobcentre, etiske "
            "udfordringer i digitaliseringen af socialt arbejde, helhedsorienterede indsatser "
            "for borgere med komplekse problemer, æresrelaterede konflikter, inddragelse af "
            "børn i anbringelsessager, veje til at gøre aktivitetsparate "
            "kontanthjælpsmodtagere arbejdsklare og 4-dages arbejdsuge.",
            "Ved tilmelding skal du angive hvilke workshops, du ønsker at deltage i. "
            "Workshopperne er inddelt i to blokke, således at du kommer til at deltage i to "
            "workshops foruden de to hovedoplæg. Bemærk, der er et begrænset antal pladser.",
        ),
        organisation=REGION_OEST,
        contact_name="Sekretariatet, DS Region Øst",
        contact_email="region.oest@example.org",
        venue="Eksempelhuset, konferencesalen (demo)",
        address="Eksempelvej 1, 2300 København S",
        practical_information=paragraphs(
            "Dagen begynder med morgenbrød kl. 08.45. Der serveres frokost, kaffe og kage.",
            "Husk dit medlemsnummer ved tilmelding. Giv besked om allergier og særlige "
            "kostbehov i tilmeldingen.",
        ),
        first_day=day,
        last_day=day,
        price=Decimal("350.00"),
        # The seed's programme: Morgenbrød 08.45, Frokost 12.30, Kage 14.30.
        catering="Dagen byder på morgenbrød, frokost og kage.",
        standard_questions=DS_MEMBER_EVENT,
        sessions=FF_SESSIONS,
        blocks=(
            BlockFacts("11.00", "12.30", "Workshops, blok 1", FF_BLOCK_1),
            BlockFacts("14.45", "16.15", "Workshops, blok 2", FF_BLOCK_2),
        ),
    )


# --- Socialrådgiverdage 2017 (seed 001, one real workshop from seed 003) ------

SD17_THEMES = ("børn/familie", "beskæftigelse", "udsatte", "forskning", "profession")
SD17_WORKSHOPS_PER_BLOCK = 16
# Sixteen rooms of 40 to 80 seats: 1,040 seats per block, so that "well over a
# thousand attendees" can each get a seat in every block.
SD17_CAPACITIES = (60, 80, 50, 70, 80, 60, 40, 80)

# Made-up workshop topics, one list per theme, used in order. They stand in for
# the 90+ workshops the seed mentions but does not name.
SD17_EXAMPLE_TOPICS = {
    "børn/familie": (
        "Børnesamtalen i praksis",
        "Underretninger: fra modtagelse til vurdering",
        "Netværksinddragelse i familiesager",
        "Efterværn for unge, der har været anbragt",
        "Barnets perspektiv i den børnefaglige undersøgelse",
        "Forældrekompetence og tilknytning",
        "Samarbejde med skolen om børn i mistrivsel",
        "Plejefamilier: rekruttering, støtte og samarbejde",
        "Tidlig indsats i familier med små børn",
        "Vold i nære relationer – når børn er vidner",
        "Børn i konfliktfyldte skilsmisser",
        "Unge med selvskadende adfærd",
        "Handleplaner, der giver mening for barnet",
        "Samvær under anbringelse",
        "Familier med flygtningebaggrund",
        "Børn af forældre med misbrug",
        "Børn med handicap og deres familier",
        "Overgangen til voksenlivet ved det 18. år",
        "Forebyggende indsatser i nærmiljøet",
        "Dokumentation i børnesager",
    ),
    "beskæftigelse": (
        "Den virksomhedsrettede indsats for aktivitetsparate",
        "Ressourceforløb: koordinerende sagsbehandling i praksis",
        "Rehabiliteringsteamet – samarbejde på tværs",
        "Fleksjob med få timer",
        "Sygedagpenge og fastholdelse på arbejdspladsen",
        "Unge uden uddannelse – vejen til job eller uddannelse",
        "Flygtninges vej til job",
        "Mentorstøtte, der virker",
        "Samtaler med ledige: motivation og progression",
        "Samarbejde med arbejdsgivere",
        "Beskæftigelsesindsats for borgere med psykisk sårbarhed",
        "Jobafklaringsforløb",
        "Seniorer på arbejdsmarkedet",
        "Det lange sygdomsforløb – hvad nu?",
        "Småjob som trædesten",
        "Digitale redskaber i jobcentret",
        "Økonomisk styring og den faglige vurdering",
        "Borgerinddragelse i jobcentret",
        "Førtidspension: den socialfaglige vurdering",
        "Virksomhedspraktik med mening",
    ),
    "udsatte": (
        "Hjemløshed og Housing First",
        "Socialt arbejde med stofbrugere",
        "Dobbeltdiagnoser – misbrug og psykisk sygdom",
        "Gadeplansarbejde med unge",
        "Kvinder på krisecenter",
        "Opsøgende arbejde blandt ensomme ældre",
        "Prostitution og sociale indsatser",
        "Løsladte borgere og kriminalpræventivt arbejde",
        "Gæld og økonomisk rådgivning",
        "Borgere med komplekse problemer – én plan",
        "Recovery-orienteret socialt arbejde",
        "Boligsocialt arbejde i udsatte boligområder",
        "Skadesreduktion og sundhedsrum",
        "Udsatte grønlændere i Danmark",
        "Socialpsykiatri og bostøtte",
        "Forebyggelse af radikalisering",
        "Flygtninge med traumer",
        "Ældre med misbrug",
        "Udsatte unge mellem 18 og 30 år",
        "Brugerinddragelse på udsatteområdet",
    ),
    "forskning": (
        "Hvad virker? Evidens i socialt arbejde",
        "Praksisforskning sammen med socialrådgivere",
        "Effektmåling uden at miste fagligheden",
        "Ny viden om anbragte børns skolegang",
        "Hvad ved vi om beskæftigelsesindsatsens virkning?",
        "Beslutninger under usikkerhed",
        "Registerdata og socialt arbejde",
        "Kvalitative metoder i praksis",
        "Borgernes oplevelse af mødet med kommunen",
        "Styring og faglighed – hvad siger forskningen?",
        "Investeringsmodeller på det sociale område",
        "Tidlig opsporing – hvad siger forskningen?",
        "Dokumentation, der kan bruges",
        "Socialt arbejde i et internationalt perspektiv",
        "Social ulighed i sundhed",
        "Metodeudvikling i kommunerne",
        "Netværksbaserede indsatser i forskningens lys",
        "Fra forskning til praksis – implementering",
        "Økonomisk evaluering af sociale indsatser",
        "Socialrådgiveruddannelsen og forskningen",
    ),
    "profession": (
        "Faglig ledelse i socialt arbejde",
        "Arbejdsmiljø og sagstal",
        "Etik i myndighedsarbejdet",
        "Supervision og faglig sparring",
        "Nyuddannet socialrådgiver – de første år",
        "Socialrådgiveren som forhandler",
        "Stress og psykisk arbejdsmiljø",
        "Den socialfaglige vurdering under pres",
        "Tillidsrepræsentanten i en omstillingstid",
        "Socialrådgivere i den private sektor",
        "Selvstændig socialrådgiver",
        "Retssikkerhed og god forvaltning",
        "Professionsidentitet og faglig stolthed",
        "Tværfagligt samarbejde med sundhedsprofessionerne",
        "Socialrådgiveren i medierne",
        "Digitalisering og faglig dømmekraft",
        "Kommunikation med borgere i krise",
        "Faggrupper og faglige netværk i DS",
        "Tillidsbaseret styring i praksis",
        "Samskabelse med civilsamfundet",
    ),
}

# The one SD17 workshop the seeds document (seed 003, its slides). The slides
# name no speaker, so the workshop has none.
SD17_REAL_WORKSHOP = WorkshopFacts(
    title="Kan beskæftigelsesfaglig stolthed udvikles på et stramstyret og gennemreguleret "
    "lovområde?",
    theme="beskæftigelse",
    capacity=80,
    description=paragraphs(
        "Erfaringer fra en gennemgang af godt 400 aktivitetsparate kontanthjælpsmodtagere med "
        "mere end 10 år på kontanthjælp.",
        "Pr. 1. juni 2016 talte gruppen 415 borgere: 67 % var enlige, 84 % kvinder og 68 % af "
        "anden etnisk herkomst end dansk; næsten halvdelen havde også en sag i "
        "socialforvaltningen. Workshoppen fortæller, hvad gennemgangen af de langvarige sager "
        "viste, og hvor borgerne siden er gået hen – fra ordinært arbejde og uddannelse til "
        "ressourceforløb, fleksjob og førtidspension.",
        "Omdrejningspunktet er tilgangen til målgruppen: at næsten alle kan profitere af en "
        "individuel, virksomhedsrettet indsats, at motivation skabes i jobbet, og at man bliver "
        "klar til arbejdsmarkedet på arbejdsmarkedet. Hvad kræver det af en "
        "beskæftigelsesfaglighed, når borgeren skal hjælpes, loven overholdes og budgetterne "
        "holde?",
    ),
)

SD17_BLOCK_TIMES = (
    # day, starts, ends
    (0, "11.30", "12.45"),
    (0, "13.45", "15.00"),
    (0, "15.30", "16.45"),
    (1, "10.30", "11.45"),
    (1, "12.45", "14.00"),
    (1, "14.30", "15.45"),
)

LOTTE_BOEGH_ANDERSEN = Person("Lotte Bøgh Andersen", "professor")
STINE_BOSSE = Person("Stine Bosse", "bestyrelsesformand")

SD17_SESSIONS = (
    PlenaryFacts("09.00", "10.00", Session.Kind.ARRIVAL, "Registrering og morgenkaffe"),
    PlenaryFacts("10.00", "10.15", Session.Kind.WELCOME, "Velkommen til Socialrådgiverdage"),
    PlenaryFacts(
        "10.15",
        "11.15",
        Session.Kind.KEYNOTE,
        "Hovedoplæg: Styring af det sociale arbejde",
        speakers=(LOTTE_BOEGH_ANDERSEN,),
        description="Årets tema er styring af det sociale arbejde. Første dags hovedoplæg "
        "holdes af professor Lotte Bøgh Andersen.",
    ),
    PlenaryFacts("12.45", "13.45", Session.Kind.MEAL, "Frokost"),
    PlenaryFacts("15.00", "15.30", Session.Kind.BREAK, "Kaffe og kage"),
    PlenaryFacts("16.45", "17.00", Session.Kind.CLOSING, "Tak for i dag"),
    PlenaryFacts("08.30", "09.00", Session.Kind.ARRIVAL, "Morgenkaffe", day=1),
    PlenaryFacts("09.00", "09.15", Session.Kind.WELCOME, "Velkommen til dag 2", day=1),
    PlenaryFacts(
        "09.15",
        "10.15",
        Session.Kind.KEYNOTE,
        "Hovedoplæg: Styring af det sociale arbejde – set fra bestyrelseslokalet",
        speakers=(STINE_BOSSE,),
        description="Andet dags hovedoplæg holdes af bestyrelsesformand Stine Bosse.",
        day=1,
    ),
    PlenaryFacts("11.45", "12.45", Session.Kind.MEAL, "Frokost", day=1),
    PlenaryFacts("14.00", "14.30", Session.Kind.BREAK, "Kaffe", day=1),
    PlenaryFacts("15.45", "16.00", Session.Kind.CLOSING, "Afslutning og tak for denne gang", day=1),
)


def _sd17_blocks() -> tuple[BlockFacts, ...]:
    topics = {theme: iter(titles) for theme, titles in SD17_EXAMPLE_TOPICS.items()}
    blocks = []
    for number, (day, starts, ends) in enumerate(SD17_BLOCK_TIMES, start=1):
        workshops = []
        for position in range(SD17_WORKSHOPS_PER_BLOCK):
            # Themes rotate across the whole programme, so every block spans the field.
            theme = SD17_THEMES[((number - 1) * SD17_WORKSHOPS_PER_BLOCK + position) % 5]
            room = f"Lokale {position + 1}"
            if number == 1 and position == 1:
                workshops.append(replace(SD17_REAL_WORKSHOP, room=room))
                continue
            workshops.append(
                WorkshopFacts(
                    title=f"Eksempel: {next(topics[theme])}",
                    description=(
                        f"Genereret eksempel på en workshop inden for temaet {theme}. Den står "
                        "i demoprogrammet i stedet for en af de mere end 90 workshops på "
                        "Socialrådgiverdage 2017, som kildeteksterne ikke beskriver."
                    ),
                    theme=theme,
                    room=room,
                    capacity=SD17_CAPACITIES[position % len(SD17_CAPACITIES)],
                )
            )
        blocks.append(
            BlockFacts(starts, ends, f"Workshops, blok {number}", tuple(workshops), day=day)
        )
    return tuple(blocks)


def socialraadgiverdage_2017(today: datetime.date) -> EventFacts:
    first_day = weekday_from(today, weeks=11, weekday=WEDNESDAY)
    return EventFacts(
        slug="socialraadgiverdage-2017",
        title="Socialrådgiverdage 2017",
        summary=(
            "Årets fagfestival for socialrådgivere: to dage med to hovedoplæg og mere end 90 "
            "workshops om styring af det sociale arbejde."
        ),
        description=paragraphs(
            "Socialrådgiverdage 2017 (SD17) er årets fagfestival for socialrådgivere: to "
            "intense dage med fire faglige input hver dag. Årets tema er styring af det sociale "
            "arbejde.",
            "Ud over to hovedoplæg med professor Lotte Bøgh Andersen og bestyrelsesformand "
            "Stine Bosse vælger du én workshop i hver af de seks blokke – op til seks "
            "workshops inden for dit eget interesseområde. Programmets mere end 90 workshops "
            "spænder over hele social- og beskæftigelsesområdet: børn og familie, "
            "beskæftigelse, udsatte, forskning og profession.",
            "Socialrådgiverdage er også ét stort netværksforum, hvor du møder kolleger fra "
            "andre arbejdspladser og tager ny viden med hjem til din afdeling.",
            "Husk at søge din leder om deltagelse: når du har valgt dine workshops, kan du få "
            "et udkast til ansøgningen med titlerne på dine workshops.",
        ),
        organisation=DS,
        contact_name="Sekretariatet for Socialrådgiverdage",
        contact_email="socialraadgiverdage@example.org",
        venue="Eksempel Kongrescenter (demo)",
        address="Eksempelvej 10, 6000 Kolding",
        practical_information=(
            "Registrering og morgenkaffe fra kl. 09.00 første dag. Prisen dækker begge dages "
            "program og forplejning, men ikke overnatning."
        ),
        first_day=first_day,
        last_day=first_day + datetime.timedelta(days=1),
        price=Decimal("2995.00"),
        catering=(
            "Begge dage byder på morgenkaffe, frokost og eftermiddagskaffe, første dag med kage."
        ),
        standard_questions=DS_MEMBER_EVENT,
        sessions=SD17_SESSIONS,
        blocks=_sd17_blocks(),
    )


# --- KKR konference 2021 (seed 004) -----------------------------------------------

TORBEN_HANSEN = Person(
    "Torben Hansen", "borgmester og formand for KKR Midtjylland", "Randers Kommune"
)
STEEN_VINDUM = Person(
    "Steen Vindum", "borgmester og næstformand for KKR Midtjylland", "Silkeborg Kommune"
)
STEFAN_HERMANN = Person("Stefan Hermann", "rektor", "Københavns Professionshøjskole")
KKR_MEETING_URL = "https://meet.example.org/kkr-2021-workshop-{}"
KKR_PLENARY_URL = "https://meet.example.org/kkr-2021-plenum"

KKR_SESSIONS = (
    PlenaryFacts(
        "16.00",
        "16.10",
        Session.Kind.WELCOME,
        "Velkomst ved KKR formandskabet",
        speakers=(TORBEN_HANSEN,),
    ),
    PlenaryFacts(
        "16.10",
        "16.25",
        Session.Kind.TALK,
        "Regeringens vision for fremtidens specialiserede socialområde",
        description="Videohilsen fra social- og ældreminister Astrid Krag.",
        speakers=(Person("Astrid Krag", "social- og ældreminister"),),
    ),
    PlenaryFacts(
        "16.25",
        "16.55",
        Session.Kind.KEYNOTE,
        "Fremtidens specialiserede område i perspektiv",
        speakers=(STEFAN_HERMANN,),
        description=paragraphs(
            "Hvordan former fremtiden sig, når det gælder vores mest belastede og sårbare "
            "borgere? Har vi i dag de rette værktøjer og uddannelsestilbud til målgruppen? Hvad "
            "gør vi med de borgere, som ”ikke kan rummes” i vores samfund? End ikke det "
            "specialiserede socialområde?",
            "Disse spørgsmål og deraf følgende etiske dilemmaer ved fremtidens specialiserede "
            "socialområde vil blive belyst i dette indledende oplæg.",
        ),
    ),
    PlenaryFacts(
        "17.30",
        "17.45",
        Session.Kind.TALK,
        "Kom tæt på regeringens evaluering af det specialiserede socialområde",
        speakers=(Person("Henrik Frostholt", "kontorchef", "Socialstyrelsen"),),
        description=paragraphs(
            "Social- og ældreminister Astrid Krag igangsatte i juni 2020 en evaluering af det "
            "specialiserede socialområde. Evalueringen er opdelt i tre spor, hvoraf spor 2 "
            "omfatter udvikling af en generel model for beskrivelse af specialiseringsniveauer. "
            "Dette arbejde er forankret i Socialstyrelsen og skal blandt andet bygge på "
            "inspiration fra specialeplanlægning på sundhedsområdet.",
            "I oplægget kan du komme tættere på det aktuelle arbejde med evalueringen – og hvad "
            "der tegner sig på fremtidens specialiserede socialområde.",
        ),
    ),
    PlenaryFacts(
        "17.45",
        "17.55",
        Session.Kind.TALK,
        "Afsluttende replikker – hvad tager vi med fra konferencen?",
        speakers=(
            Person("Ulrik Wilbek", "formand for KL's socialudvalg", "KL"),
            Person("Leif Gjørtz Christensen", "regionskredsformand", "SIND Midtjylland"),
            STEFAN_HERMANN,
        ),
    ),
    PlenaryFacts(
        "17.55",
        "18.00",
        Session.Kind.CLOSING,
        "Afrunding ved KKR formandskabet",
        speakers=(STEEN_VINDUM,),
    ),
)

KKR_WORKSHOPS = (
    WorkshopFacts(
        title="Design af nye løsninger – med afsæt i borgernes oplevelser",
        capacity=100,
        online_link=KKR_MEETING_URL.format(1),
        speakers=(
            Person("Marie Herborg Krogh", "", "Center for Innovation i Aarhus Kommune (CFIA)"),
        ),
        facilitators=(Person("Vinni Bøgelund Jensen", "kvalitetskonsulent", "Region Midtjylland"),),
        description=paragraphs(
            "Hvad vil det sige at involvere borgernes oplevelser i udviklingen af vores velfærd? "
            "Hvordan designer vi løsninger, som svarer på de udfordringer borgerne oplever? Det "
            "er nogle af de spørgsmål, der vil blive belyst.",
            "I CFIA arbejder vi designdrevet. Vi tager derfor altid udgangspunkt i de mennesker, "
            "vi designer til! I oplægget trækkes på erfaringer fra et tværgående projekt i "
            "Aarhus Kommune, der skaber en mere meningsfuld og sammenhængende overgang, når "
            "sårbare unge fylder 18 år.",
        ),
    ),
    WorkshopFacts(
        title="Fremtidens beskæftigelsestilbud til borgere med psykiske diagnoser og sårbarhed",
        capacity=100,
        online_link=KKR_MEETING_URL.format(2),
        speakers=(
            Person("Anette Holm", "socialchef", "Holstebro Kommune"),
            Person("Søren Landkildehus", "arbejdsmarkedschef", "Holstebro Kommune"),
        ),
        facilitators=(
            Person("Carsten Wulff", "vicedirektør, socialområdet", "Region Midtjylland"),
        ),
        description=paragraphs(
            "Oplægsholderne inviterer deltagerne på workshoppen til fælles refleksion om "
            "udfordringer og muligheder i forhold til fremtidens beskæftigelsestilbud til "
            "borgere med psykiske diagnoser og sårbarhed. Oplæggene skal få deltagerne til at "
            "reflektere over:",
            "1) hvordan man kunne forestille sig en model på området",
            "2) hvordan man kunne udmønte lovgivningsforpligtigheden på en anderledes måde, så "
            "man imødegår at borgere med psykiske diagnoser/sårbarhed oplever angst, stress og "
            "tvangsforestillinger i forhold til mødet med Jobcentre",
            "Desuden vil der være en præsentation af interessante ”fund” i forhold til "
            "erfaringer med Covid 19, og de jobåbninger og effekter disse fund har medført ift. "
            "målgruppen. Slutteligt vil oplægget komme ind på, hvad dette har givet anledning "
            "til af overvejelser ift. udfærdigelse af jobplaner samt dialog med arbejdsmarkedets "
            "parter.",
        ),
    ),
    WorkshopFacts(
        title="Udvikling af nye tilbud og nye tilgange",
        capacity=100,
        online_link=KKR_MEETING_URL.format(3),
        speakers=(Person("Ann-Britt Wetche", "socialdirektør", "Region Midtjylland"),),
        facilitators=(Person("Lotte Henriksen", "socialchef", "Aarhus Kommune"),),
        description=paragraphs(
            "Hør om rammeaftalens fælles udviklingsområde.",
            "Denne workshop lægger op til en drøftelse af, hvordan vi sammen – kommuner, region "
            "og brugerorganisationer – kan udvikle nye tilbud og tilgange til borgere med de "
            "mest komplekse og udfordrende problemstillinger. Workshoppen tager afsæt i en case "
            "fra det specialiserede socialområde i Region Midtjylland, som illustrerer hvilke "
            "konkrete udfordringer og problemstillinger man står overfor i praksis, når vi "
            "taler om komplekse borgere. Casen beskriver en borgers baggrund og forløb, før "
            "indskrivningen i det specialiserede socialområde, borgerens problemstillinger og "
            "adfærd samt det nødvendige samarbejde med og om borgeren.",
        ),
    ),
    WorkshopFacts(
        title="Boformer og bygninger på fremtidens socialområde",
        capacity=100,
        online_link=KKR_MEETING_URL.format(4),
        speakers=(
            Person("Lone Aagaard", "afdelingsleder", "Botilbud Tagdækkervej, Hammel"),
            Person("Simon Eg Severinsen", "viceområdechef", "Botilbud Hamarhus, Viborg"),
            Person("Stine Skivild Westing", "arkitekt", "Botilbud Hamarhus, Viborg"),
        ),
        facilitators=(Person("Søren Liner Christensen", "direktør", "Herning Kommune"),),
        description=paragraphs(
            "Oplæg 1: ”Rehabiliterende rammer” (Tagdækkervej)",
            "Oplægget er en beskrivelse af, hvordan man på Tagdækkervej har bygget en døgnenhed "
            "til specialiseret rehabilitering af borgere med erhvervet hjerneskade. Bygning og "
            "omgivelserne tager afsæt i principperne om helende arkitektur, hvor virkemidler til "
            "sansestimulering er tænkt ind i byggeriet i form af specielle krav til lys, lyd, "
            "natur, adspredelse, wayfinding og træning.",
            "Oplæg 2: Fra idé til planlægning til virkelighed (”Hamarhus”)",
            "Oplægget er en fortælling om, hvordan Hamarhus forvandlede fra en gammel bygning "
            "til en moderne og tidssvarende institution. I tråd med Specialområde Børn og Unges "
            "vision, har man opbygget et nyt højt specialiseret tilbud til normalt begavede "
            "børn og unge med en autismediagnose, hvor rammerne understøtter det "
            "fagprofessionelle arbejde. En ramme som skaber den stemning, som udsatte børn og "
            "unge lever deres liv i.",
        ),
    ),
)


# A municipal conference: no membership number; online, so no food and no dietary
# needs; free, so no invoice. The employment (public, private, self-employed) is
# asked as by default: private providers of social services come too.
KKR_STANDARD_QUESTIONS = (
    (Field.MEMBERSHIP_NUMBER, Ask.NO),
    (Field.DIETARY_NEEDS, Ask.NO),
    (Field.INVOICE, Ask.NO),
)

# The 19 municipalities of Region Midtjylland, in Danish alphabetical order (Aa as Å).
MIDTJYLLAND_MUNICIPALITIES = (
    "Favrskov",
    "Hedensted",
    "Herning",
    "Holstebro",
    "Horsens",
    "Ikast-Brande",
    "Lemvig",
    "Norddjurs",
    "Odder",
    "Randers",
    "Ringkøbing-Skjern",
    "Samsø",
    "Silkeborg",
    "Skanderborg",
    "Skive",
    "Struer",
    "Syddjurs",
    "Viborg",
    "Aarhus",
)

KKR_QUESTIONS = (
    QuestionFacts(
        label="Hvilken kommune arbejder du i?",
        kind=Question.Kind.CHOICE,
        choices=tuple(f"{name} Kommune" for name in MIDTJYLLAND_MUNICIPALITIES),
        help_text="Arbejder du ikke i en kommune, så spring spørgsmålet over.",
    ),
    QuestionFacts(
        label="Må vi kontakte dig om evalueringen af konferencen?",
        kind=Question.Kind.YES_NO,
    ),
)


def kkr_konference_2021(today: datetime.date) -> EventFacts:
    day = weekday_from(today, weeks=7, weekday=TUESDAY)
    return EventFacts(
        slug="kkr-konference-2021",
        title="KKR konference 2021",
        summary=(
            "Fremtidens specialiserede socialområde – med særligt blik på borgere med komplekse "
            "udfordringer. Gratis virtuel konference kl. 16.00–18.00."
        ),
        description=paragraphs(
            "Vær med når scenen sættes for dialog mellem alle os, der har en aktie i at udvikle "
            "fremtidens specialiserede socialområde!",
            "Kommunerne og regionen i Midtjylland indgår hvert andet år en rammeaftale om "
            "samarbejdet på det specialiserede social- og specialundervisningsområde. I "
            "Rammeaftale 2021-22 har vi et nyt udviklingsområde, hvor vi sætter fokus på at "
            "sikre de rette tilbud til rette tid for borgere med komplekse udfordringer. Visionen "
            "er at skabe et nyt fælles afsæt for tilbud til borgere med komplekse udfordringer, "
            "hvor vante regler og rammer udfordres med henblik på at søge nye løsninger.",
            "Herudover har socialminister Astrid Krag igangsat en stor evaluering af det "
            "specialiserede socialområde. Regeringens formål med evalueringen er at skabe et "
            "nationalt overblik over målgrupper og tilbud på området, som kan hjælpe med at "
            "indrette området, så alle får den bedst mulige støtte til at leve et godt liv. "
            "Evalueringen skal efterfølgende danne grundlag for at nå frem til en national "
            "specialeplanlægning inspireret af sundhedsområdet.",
            "På konferencen vil vi med oplæg og dialog belyse og drøfte de overordnede "
            "perspektiver ift. fremtidens specialiserede socialområde med afsæt i rammeaftalen "
            "og evalueringen af det specialiserede socialområde.",
            "Med venlig hilsen\nTorben Hansen, borgmester i Randers og KKR-formand\n"
            "Steen Vindum, borgmester i Silkeborg og KKR-næstformand",
        ),
        organisation=KKR_MIDTJYLLAND,
        contact_name="Sekretariatet for KKR Midtjylland",
        contact_email="kkr.midtjylland@example.org",
        is_online=True,
        online_link=KKR_PLENARY_URL,
        practical_information=paragraphs(
            "Konferencen holdes virtuelt. På konferencedagen vælger du selv den workshop, du "
            "deltager i; workshopperne holdes i virtuelle break out rooms.",
        ),
        first_day=day,
        last_day=day,
        price=Decimal("0.00"),
        standard_questions=KKR_STANDARD_QUESTIONS,
        questions=KKR_QUESTIONS,
        sessions=KKR_SESSIONS,
        blocks=(
            BlockFacts("16.55", "17.30", "Workshops i virtuelle break out rooms", KKR_WORKSHOPS),
        ),
    )


def demo_events(today: datetime.date) -> list[EventFacts]:
    return [
        faglig_faellesskabsdag(today),
        socialraadgiverdage_2017(today),
        kkr_konference_2021(today),
    ]
