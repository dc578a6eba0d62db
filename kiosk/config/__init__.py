"""The service's configuration: one validated model per TOML table, gathered in ``Config``.

    from kiosk.config import Config
    config = Config.load("/etc/kiosk/kiosk.toml")      # defaults < file < KIOSK_* env < arguments
    config.port, config.data_dir, config.vision.camera, config.pager.officer_cards, config.appointments

Tables: [kiosk] (or top level) kiosk.py, [vision] vision.py, [devices] [voice] [pager] [printer] [led]
devices.py, [appointments] appointments.py. A wrong value raises ConfigError naming ``[table] key``.
"""
from kiosk.config.appointments import AppointmentSettings
from kiosk.config.base import ConfigError
from kiosk.config.core import Config
from kiosk.config.devices import (
    DevicesSettings,
    LedSettings,
    PagerSettings,
    PrinterSettings,
    VoiceSettings,
    device_settings,
)
from kiosk.config.kiosk import KioskSettings
from kiosk.config.vision import VisionConfig, VisionSettings, vision_config

__all__ = ["AppointmentSettings", "Config", "ConfigError", "DevicesSettings", "KioskSettings", "LedSettings",
           "PagerSettings", "PrinterSettings", "VisionConfig", "VisionSettings", "VoiceSettings",
           "device_settings", "vision_config"]
