"""Model parameters of the synthetic firms and the GB/T 4754 industry classes they are drawn from."""

from __future__ import annotations

import numpy as np
from pydantic import ConfigDict

from gaoxin.config import StrictModel


class Params(StrictModel):
    """Model parameters of the generator (assumptions [A] unless a target says otherwise).

    Chosen so that firm sizes are heavy-tailed, growth is persistent with
    about 10 % high-growth firms, and the revenue-weighted expectation of each
    calibrated ratio equals its target whatever the size mix.  A strict frozen
    model, so ``Params(share_manufactring=0.5)`` is an error naming the closest
    parameter rather than a silently unused keyword; the defaults live here only.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    share_manufacturing: float = 0.40  # of firms
    size_ratio_manufacturing: float = 2.35  # revenue multiplier: ~61 % of revenue
    share_entrants: float = 0.40  # firms founded inside the year range
    incumbent_age_mean: float = 8.0  # years, exponential
    rev_median_age1: float = 2_500.0  # 千元, median revenue of a 1-year-old firm
    age_slope: float = 0.10  # log revenue per year of age (up to 25)
    size_sigma: float = 1.5  # log-normal body
    tail_share: float = 0.02  # firms with a Pareto multiplier
    tail_alpha: float = 1.8
    rev_cap: float = 1.0e8  # 千元 (1000亿元)
    growth_base: float = 0.05  # nominal log growth of a mature firm
    growth_young: float = 0.15  # extra growth at age 1, decaying with age
    growth_age_scale: float = 3.0
    growth_firm_sd: float = 0.05  # persistent firm effect
    growth_rho: float = 0.45  # AR(1) of growth shocks
    growth_eps_sd: float = 0.10  # shock sd of a small firm, smaller for large ones
    employment_elasticity: float = 0.75
    productivity_median: float = 500.0  # 千元 revenue per employee
    productivity_sigma: float = 0.6
    exit_base: float = 0.03
    exit_young: float = 0.08
    unicorn_rate: float = 4e-4  # of firms
    vc_rate_young_tech: float = 0.12
    list_median: float = 1.5e6  # 千元 revenue at which half of the eligible firms list
    output_ratio_manufacturing: float = 0.98  # industrial output / revenue of a manufacturer
    va_ratio_manufacturing: float = 0.26
    exports_ratio_services: float = 0.03
    spread_min: float = 0.25  # dispersion of firm ratios of the largest firms, relative to small
    spread_mid: float = 3.0e5  # 千元, size where dispersion is halfway
    tech_share_hightech_industry: float = 0.70
    tech_share_other_industry: float = 0.35
    patent_cost: float = 500.0  # 千元 R&D per patent application
    fte_cost: float = 250.0  # 千元 R&D expense per R&D FTE
    rd_tech_median: float = 0.05  # R&D/revenue of 'tech' firms before scaling to the target
    rd_tech_sigma: float = 0.5
    rd_other_median: float = 0.008  # other firms that do R&D
    rd_other_sigma: float = 0.8
    rd_none_share: float = 0.4  # of the other firms: no R&D at all
    rd_small_boost: float = 1.5  # R&D intensity of the smallest firms relative to large, minus 1


P = Params()

# GB/T 4754-2017 classes: (code, label, high-tech sector flag, weight).
MANUFACTURING = (
    ("2710", "化学药品原料药制造", True, 2),
    ("2720", "化学药品制剂制造", True, 3),
    ("2761", "生物药品制造", True, 3),
    ("2641", "涂料制造", False, 2),
    ("2662", "专项化学用品制造", False, 3),
    ("2929", "塑料零件及其他塑料制品制造", False, 3),
    ("3130", "钢压延加工", False, 2),
    ("3311", "金属结构制造", False, 3),
    ("3411", "锅炉及辅助设备制造", False, 2),
    ("3562", "半导体器件专用设备制造", True, 2),
    ("3581", "医疗诊断、监护及治疗设备制造", True, 3),
    ("3612", "新能源车整车制造", False, 1),
    ("3670", "汽车零部件及配件制造", False, 5),
    ("3741", "飞机制造", True, 1),
    ("3824", "电力电子元器件制造", False, 3),
    ("3841", "锂离子电池制造", False, 3),
    ("3911", "计算机整机制造", True, 2),
    ("3921", "通信系统设备制造", True, 3),
    ("3963", "智能无人飞行器制造", True, 1),
    ("3973", "集成电路制造", True, 3),
    ("3974", "显示器件制造", True, 2),
    ("3981", "电阻电容电感元件制造", True, 4),
    ("4011", "工业自动控制系统装置制造", True, 4),
)
SERVICES = (
    ("6421", "互联网搜索服务", True, 1),
    ("6432", "互联网生活服务平台", True, 2),
    ("6511", "基础软件开发", True, 3),
    ("6513", "应用软件开发", True, 8),
    ("6531", "信息系统集成服务", True, 6),
    ("6550", "信息处理和存储支持服务", True, 3),
    ("6560", "信息技术咨询服务", True, 4),
    ("7211", "企业总部管理", False, 3),
    ("7251", "互联网广告服务", False, 2),
    ("7320", "工程和技术研究和试验发展", True, 4),
    ("7340", "医学研究和试验发展", True, 2),
    ("7452", "检测服务", True, 3),
    ("7491", "工业设计服务", True, 2),
    ("7512", "生物技术推广服务", True, 2),
    ("7514", "节能技术推广服务", True, 2),
    ("7520", "知识产权服务", True, 1),
    ("7530", "科技中介服务", True, 2),
)
NAME_WORDS = {"2": "医药", "3": "智能制造", "4": "仪器", "6": "信息技术", "7": "科技服务"}


def industry_table() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Industry classes as arrays: (code, manufacturing?, high-tech sector?, weight)."""
    rows = [(c, True, h, w) for c, _, h, w in MANUFACTURING] + [
        (c, False, h, w) for c, _, h, w in SERVICES
    ]
    codes = np.array([r[0] for r in rows])
    manuf = np.array([r[1] for r in rows])
    high = np.array([r[2] for r in rows])
    w = np.array([r[3] for r in rows], dtype=float)
    return codes, manuf, high, w
