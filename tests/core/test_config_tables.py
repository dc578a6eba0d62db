"""One model per TOML table: each bad value is refused by Config.load naming `[table] key`; good
configurations (the README's, the docs' and the models' own examples) load."""
from __future__ import annotations

import dataclasses
import re
import textwrap
from pathlib import Path

import pytest

import kiosk.config.appointments
import kiosk.config.devices
import kiosk.config.kiosk
import kiosk.config.vision
from kiosk.config import Config, ConfigError, device_settings, vision_config
from kiosk.config.devices import LedSettings
from kiosk.config.vision import FLOW_KEYS, VisionSettings
from kiosk.queue.appointments import AppointmentRules
from kiosk.session.flow import FlowSettings

ROOT = Path(__file__).resolve().parents[2]

# (TOML text, environment, words the message must contain: `[table] key` first)
BAD = {
    "kiosk": [
        ('port = "abc"', {}, '[kiosk] port: must be a whole number, not a string ("abc")'),
        ("[kiosk]\nport = 70000", {}, "[kiosk] port: must be between 1 and 65535, not 70000"),
        ("demo = 1", {}, "[kiosk] demo: must be true or false, not the number 1"),
        ("threads = 0", {}, "[kiosk] threads: must be between 1 and 1000"),
        ("prot = 8080", {}, "[kiosk] prot: unknown setting (known: auto_no_show_after_recalls,"),
        ('timezone = "Mars/Olympus_Mons"', {}, '[kiosk] timezone: unknown time zone "Mars/Olympus_Mons"'),
        ('priority_policy = "vip"', {}, '[kiosk] priority_policy: must be "strict", "interleave" or "wait_balanced"'),
        ("default_service_minutes = 0", {}, "[kiosk] default_service_minutes: must be more than 0 and at most 480, not 0"),
        ('secret_key = "short"', {}, "[kiosk] secret_key:"),
        ("kiosk = 3", {}, "[kiosk] must be a table of settings"),
        ("[visoin]\ncamera = 0", {}, "[visoin] unknown table (known: alerts, appointments, city, devices, led, pager"),
        ("", {"KIOSK_PORT": "abc"}, '[kiosk] port: must be a whole number, not "abc" (from KIOSK_PORT)'),
        ("", {"KIOSK_RETENTION_DAYS": "0"}, "[kiosk] retention_days: must be between 1 and 3650, not 0 "
                                            "(from KIOSK_RETENTION_DAYS)"),
        ("", {"KIOSK_DISPLAY_PUBLIC": "maybe"}, "[kiosk] display_public: must be true or false"),
    ],
    "vision": [
        ("[vision]\ncamera = true", {}, "[vision] camera: must be a device index (0, 1 …) or an rtsp:// URL, "
                                        "not a boolean"),
        ("[vision]\ncamera = 64", {}, "[vision] camera: device index must be 0..63"),
        ('[vision]\ndwell_s = "long"', {}, '[vision] dwell_s: must be a number, not a string ("long")'),
        ("[vision]\npresence_fps = 31", {}, "[vision] presence_fps: must be between 0.2 and 30"),
        ("[vision]\nworker_deadline_s = 0.1", {}, "[vision] worker_deadline_s: must be between 0.5 and 60"),
        ("[vision]\nbackoff_initial_s = 5\nbackoff_max_s = 1", {},
         "[vision] backoff_max_s: must be at least backoff_initial_s (5), not 1"),
        ("[vision]\nticket_s = 2", {}, "[vision] ticket_s: must be at least min_ticket_s (4)"),
        ('[vision]\nenabled = "yes"', {}, "[vision] enabled: must be true or false"),
        ('[vision]\npager_prefix = "0PAGER:"', {}, "[vision] pager_prefix: must be a letter"),
        ("[vision]\ncamra = 0", {}, "[vision] camra: unknown setting (known: anonymous_after_s,"),
        ("vision = [1]", {}, "[vision] must be a table of settings, not a list"),
        ("", {"KIOSK_VISION_ENABLED": "maybe"}, "[vision] enabled: KIOSK_VISION_ENABLED must be 0 or 1"),
    ],
    "devices": [
        ('[devices]\nenabled = "no"', {}, '[devices] enabled: must be true or false, not a string ("no")'),
        ('[devices]\npublic_url = "ftp://x"', {}, "[devices] public_url: must be an http(s) URL"),
        ('[devices]\npublic_urls = "http://x"', {}, "[devices] public_urls: unknown setting (known: enabled, "
                                                    "public_url)"),
        ("devices = 5", {}, "[devices] must be a table of settings, not the number 5"),
    ],
    "voice": [
        ("[voice]\nrepeat = 9", {}, "[voice] repeat: must be between 1 and 5, not 9"),
        ('[voice]\nclips_dir = "/no/such/folder"', {}, "[voice] clips_dir: /no/such/folder is not a folder"),
        ("[voice]\nspeaker = 1", {}, "[voice] speaker: must be true or false"),
        ("[voice]\nvolume = 3", {}, "[voice] volume: unknown setting"),
    ],
    "pager": [
        ("[pager]\nurl = 5", {}, "[pager] url: must be text, not the number 5"),
        ('[pager]\nurl = ""', {}, "[pager] url: must not be empty"),
        ("[pager]\nofficer_cards = { 150 = 1 }", {}, "[pager] officer_cards: card 150 lies in the citizen_cards "
                                                     "range [101, 999]"),
        ("[pager]\nofficer_cards = { one = 1 }", {}, '[pager] officer_cards: key "one" must be a whole number'),
        ('[pager]\nofficer_cards = { 1 = "one" }', {}, "[pager] officer_cards.1: must be a whole number"),
        ("[pager]\ncitizen_cards = [150, 101]", {}, "[pager] citizen_cards: the first card (150) must not come "
                                                    "after the last (101)"),
        ('[pager]\ncitizen_cards = "101-150"', {}, "[pager] citizen_cards: must be [first, last] card numbers"),
        ("[pager]\nbaudrate = 115200.0", {}, "[pager] baudrate: must be a whole number, not the number 115200.0"),
        ("[pager]\nbaud = 9600", {}, "[pager] baud: unknown setting (known: baudrate, citizen_cards,"),
    ],
    "printer": [
        ('[printer]\nurl = "lpt://x"', {}, "[printer] url: bad printer URL"),
        ("[printer]\npaper_width = 70", {}, "[printer] paper_width: must be 58 or 80, not 70"),
        ("[printer]\npoll_s = 0", {}, "[printer] poll_s: must be between 0.2 and 3600, not 0"),
        ('[printer]\npoll_s = "5"', {}, "[printer] poll_s: must be a number"),
        ("[printer]\nwidth = 80", {}, "[printer] width: unknown setting"),
    ],
    "led": [
        ("[led]\nboards = { 1 = 100 }", {}, "[led] boards.1: must be at most 99, not 100"),
        ("[led]\nboards = { 1 = 5, 2 = 5 }", {}, "[led] boards: counters 1 and 2 share board address 5"),
        ("[led]\nbaudrate = 1234", {}, "[led] baudrate: must be 1200, 2400"),
        ("[led]\nwidth = 17", {}, "[led] width: must be between 1 and 16"),
        ('[led]\nboards = [1, 2]', {}, "[led] boards: must be a table of counter = board address, not a list"),
        ('[led]\ncolour = "red"', {}, "[led] colour: unknown setting"),
    ],
    "appointments": [
        ("[appointments]\nslot_minute = 20", {},
         "[appointments] slot_minute: unknown setting (known: book_days_ahead, capacity, early_minutes, "
         "late_minutes, opening_hours, slot_minutes, weekdays)"),
        ('[appointments]\nopening_hours = "07:30-11:30"', {},
         '[appointments] opening_hours: must be a list of "HH:MM-HH:MM" spans, not a string'),
        ('[appointments]\nopening_hours = ["7:30-11:30"]', {}, '"7:30-11:30" is not one'),
        ('[appointments]\nopening_hours = ["11:30-07:30"]', {},
         '[appointments] opening_hours: "11:30-07:30" ends before it starts'),
        ('[appointments]\nopening_hours = ["13:30-17:00", "07:30-11:30"]', {},
         '[appointments] opening_hours: "07:30-11:30" does not come after "13:30-17:00"'),
        ('[appointments]\nopening_hours = ["07:30-07:40"]', {}, "is shorter than one slot (15 minutes)"),
        ("[appointments]\nopening_hours = [730]", {}, "[appointments] opening_hours[0]: must be text"),
        ("[appointments]\nweekdays = [0, 7]", {}, "[appointments] weekdays[1]: must be at most 6, not 7"),
        ("[appointments]\nweekdays = [1, 1]", {}, "[appointments] weekdays: [1, 1] names a day twice"),
        ('[appointments]\nweekdays = "mon-fri"', {}, "[appointments] weekdays: must be a list of weekday numbers"),
        ("[appointments]\nslot_minutes = 2", {}, "[appointments] slot_minutes: must be between 5 and 240, not 2"),
        ("[appointments]\ncapacity = true", {}, "[appointments] capacity: must be a whole number, not true"),
    ],
    "alerts": [
        ("[alerts]\nmax_waiting = 0", {}, "[alerts] max_waiting: must be between 1 and 10000, not 0"),
        ('[alerts]\nidle_counter_minutes = "5"', {}, "[alerts] idle_counter_minutes: must be a number"),
        ("[alerts]\ncalled_not_started_minutes = 500", {}, "[alerts] called_not_started_minutes: must be between 0.5 and 240, not 500"),
        ("[alerts]\nenabled = 1", {}, "[alerts] enabled: must be true or false"),
        ("[alerts]\nidle_minutes = 5", {}, "[alerts] idle_minutes: unknown setting"),
    ],
    "city": [
        ('[city]\nsite_code = "Hà Đông"', {}, '[city] site_code: must be 2..32 of a-z, 0-9 and "-"'),
        ('[city]\nsite_code = "x"', {}, '[city] site_code: must be 2..32'),
        ('[city]\ndsn = "postgresql://city@h/city"', {}, "[city] dsn: a centre that ships to the city needs site_code and site_name"),
        ('[city]\ndsn = "mysql://h/city"\nsite_code = "ab"\nsite_name = "A"', {}, "[city] dsn: must be a PostgreSQL URL"),
        ("[city]\nbatch_size = 10", {}, "[city] batch_size: must be between 100 and 50000, not 10"),
        ('[city]\ninterval_s = "10"', {}, "[city] interval_s: must be a number"),
        ("[city]\nsite = 1", {}, "[city] site: unknown setting"),
    ],
}
CASES = [pytest.param(text, env, words, id=f"{table}-{i}") for table, cases in BAD.items()
         for i, (text, env, words) in enumerate(cases)]


def _load(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> Config:
    path = tmp_path / "kiosk.toml"
    path.write_text(text + "\n", encoding="utf-8")
    return Config.load(path, env=env or {})


def test_every_table_has_bad_cases():
    assert set(BAD) == {"kiosk", *Config.TABLES}
    assert all(len(cases) >= 3 for cases in BAD.values())


@pytest.mark.parametrize("text, env, words", CASES)
def test_bad_value_is_refused_naming_table_and_key(tmp_path, text, env, words):
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, text, env)
    message = str(caught.value)
    assert words in message
    assert re.match(r"\[[a-z_]+\]", message) and "\n" not in message  # one problem, one line
    for noise in ("pydantic", "errors.pydantic.dev", "Input should", "validation error", "type="):
        assert noise not in message


def test_several_problems_give_one_line_each(tmp_path):
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, 'port = 0\n[vision]\ndwell_s = "x"\n[appointments]\nslot_minute = 20',
              {"KIOSK_DEMO": "maybe"})
    lines = str(caught.value).splitlines()
    assert len(lines) == len(caught.value.problems) == 4
    assert [line.split(":")[0] for line in lines] == ["[kiosk] demo", "[kiosk] port", "[vision] dwell_s",
                                                      "[appointments] slot_minute"]


def test_layers_defaults_file_env_arguments(tmp_path):
    cfg = _load(tmp_path, '[kiosk]\nport = 9000\nhost = "0.0.0.0"\n[vision]\nenabled = true', {})
    assert (cfg.port, cfg.host, cfg.threads) == (9000, "0.0.0.0", 64)
    path = tmp_path / "kiosk.toml"
    env = {"KIOSK_PORT": "9100", "KIOSK_DEMO": "yes", "KIOSK_DEFAULT_SERVICE_MINUTES": "7.5",
           "KIOSK_KEY_FILE": "/k/citizen.key", "KIOSK_VISION_ENABLED": "0", "KIOSK_TESTDATA": "/elsewhere",
           "KIOSK_HOST": ""}
    cfg = Config.load(path, env=env, port=9200, host=None)
    assert cfg.port == 9200 and cfg.host == "0.0.0.0" and cfg.demo is True
    assert cfg.default_service_minutes == 7.5 and cfg.key_file == Path("/k/citizen.key")
    assert cfg.vision.enabled is False and vision_config(cfg, env={}).enabled is False


def test_top_level_and_kiosk_table_and_typed_tables(tmp_path):
    cfg = _load(tmp_path, 'centre_name = "Top"\nport = 1\n[kiosk]\nport = 2\n[pager]\nurl = "auto"\n'
                          "officer_cards = { 3 = 7 }\ncitizen_cards = [10, 20]\n[led]\nboards = { 2 = 12 }\n"
                          '[appointments]\nopening_hours = ["08:00-12:00"]\nweekdays = [5]\nslot_minutes = 30')
    assert cfg.centre_name == "Top" and cfg.port == 2 and cfg.kiosk.port == 2
    assert cfg.pager.officer_cards == {3: 7} and cfg.pager.citizen_cards == (10, 20)
    assert cfg.led is not None and cfg.led.board_config().boards == {2: 12}
    rules = cfg.appointments.rules()
    assert isinstance(rules, AppointmentRules) and rules.opening_hours == ("08:00-12:00",) and rules.weekdays == (5,)
    assert rules.slot_minutes == 30 and rules.capacity == 2
    settings = device_settings(cfg)
    assert settings.pager is cfg.pager and settings.led is cfg.led and settings.enabled
    assert Config.from_dict({}).led is None and Config.from_dict({"led": {}}).led is None


def test_from_dict_takes_tables_as_the_tests_pass_them(tmp_path):
    cfg = Config.from_dict({"data_dir": tmp_path, "demo": True, "vision": {"camera": "1", "dwell_s": 2},
                            "voice": {"enabled": False}, "kiosk": {"port": 8081}})
    assert cfg.data_dir == tmp_path and cfg.port == 8081 and cfg.vision.camera == 1
    assert cfg.vision.flow == dataclasses.replace(FlowSettings(), dwell_s=2)
    assert cfg.extra == {"vision": cfg.vision.model_dump(), "voice": cfg.voice.model_dump()}
    with pytest.raises(ConfigError, match=r"^\[appointments\] slot_minute: unknown setting"):
        Config.from_dict({"appointments": {"slot_minute": 20}})
    with pytest.raises(ConfigError, match=r"^\[pager\] officer_cards: card 150"):
        device_settings({"pager": {"officer_cards": {"150": 1}}, "appointments": {}})
    with pytest.raises(Exception, match="frozen"):
        cfg.port = 1  # validated once: read-only


def test_vision_resolution_and_new_keys():
    cfg = Config.from_dict({"vision": {"presence_fps": 0.2, "worker_deadline_s": 60}})
    resolved = vision_config(cfg, env={})
    assert resolved.enabled is False and resolved.presence_fps == 0.2 and resolved.worker_deadline_s == 60
    assert VisionSettings().presence_fps == 2.0 and VisionSettings().worker_deadline_s == 5.0
    on = vision_config(cfg, env={"KIOSK_VISION_ENABLED": "1"})
    assert on.enabled and on.camera == 0  # enabled outside demo without a camera: device 0
    demo = vision_config(Config.from_dict({"demo": True}), env={})
    assert demo.enabled and demo.camera is None  # the demo loop


def test_vision_flow_keys_match_flow_settings():
    """Every FlowSettings field is a [vision] key with the same default: a field added there must be added here."""
    fields = {f.name: f.default for f in dataclasses.fields(FlowSettings)}
    assert set(FLOW_KEYS) == set(fields)
    assert {key: VisionSettings.model_fields[key].default for key in FLOW_KEYS} == fields


def test_hardware_knows_nothing_of_the_service():
    for path in (ROOT / "hardware").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(from|import) kiosk\b", text, re.M), path


def test_led_settings_convert_to_the_driver_config():
    board = LedSettings(url="/dev/ttyUSB3", baudrate=19200, boards={"1": 11, 2: 12}, width=6).board_config()
    assert (board.url, board.baudrate, dict(board.boards), board.width) == ("/dev/ttyUSB3", 19200, {1: 11, 2: 12}, 6)


# ---- the good cases: every example in the README, the docs and the models' docstrings loads ----

def _toml_blocks(path: Path) -> list[str]:
    return re.findall(r"```toml\n(.*?)```", path.read_text(encoding="utf-8"), re.S)


def _docstring_example(module) -> str:
    lines = module.__doc__.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("    ["))
    block = []
    for line in lines[start:]:
        if line and not line.startswith("    "):
            break
        block.append(line)
    return textwrap.dedent("\n".join(block))


EXAMPLES = [pytest.param(block, id=f"{path.name}-{i}") for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
            for i, block in enumerate(_toml_blocks(path))]
MODULES = [kiosk.config.kiosk, kiosk.config.vision, kiosk.config.devices, kiosk.config.appointments]


def test_the_readme_has_an_example():
    assert any(p.id.startswith("README.md") for p in EXAMPLES)


@pytest.mark.parametrize("block", EXAMPLES)
def test_documented_examples_load(tmp_path, block):
    cfg = _load(tmp_path, block)
    assert cfg.model_fields_set  # something was set


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_docstring_examples_load(tmp_path, module):
    text = _docstring_example(module)
    assert text.startswith("[")
    cfg = _load(tmp_path, text)
    for table in Config.TABLES:
        if f"[{table}]" in text:
            assert table in cfg.model_fields_set


def test_docstring_examples_list_every_key():
    from kiosk.config.appointments import AppointmentSettings
    from kiosk.config.devices import DevicesSettings, PagerSettings, PrinterSettings, VoiceSettings
    from kiosk.config.kiosk import KioskSettings

    docs = {KioskSettings: kiosk.config.kiosk, VisionSettings: kiosk.config.vision,
            AppointmentSettings: kiosk.config.appointments, DevicesSettings: kiosk.config.devices,
            VoiceSettings: kiosk.config.devices, PagerSettings: kiosk.config.devices,
            PrinterSettings: kiosk.config.devices, LedSettings: kiosk.config.devices}
    for model, module in docs.items():
        text = module.__doc__
        missing = [key for key in model.model_fields if not re.search(rf"^\s*#?\s*{key} = ", text, re.M)]
        assert not missing, (model.__name__, missing)
