#pragma once
// Chinese names of the machine's statement codes, for the printed ECG's list of signal faults and for statements
// without a Chinese sentence of their own (Statement::text_zh); the web front end has its own table in
// web/js/strings2.js, keyed the same.
#include <string_view>
#include <utility>

namespace teledx::ecg::detail {

/// The Chinese name of a statement code, or "" for a code without one.
constexpr std::string_view chinese_name(std::string_view code) {
  constexpr std::pair<std::string_view, std::string_view> kNames[] = {
      {"critical_vt", "室性心动过速（疑似）"},
      {"critical_vf", "心室颤动（疑似）"},
      {"critical_svt", "室上性心动过速，心室率≥230次/分"},
      {"critical_af_rapid", "心房颤动/扑动伴快速心室率"},
      {"critical_bradycardia", "严重心动过缓（<35次/分，5 岁以下 <60次/分）"},
      {"critical_pause", "长间歇（≥3秒）"},
      {"critical_complete_av_block", "三度房室传导阻滞（疑似）"},
      {"critical_long_qtc", "QTc 显著延长（≥500 ms）"},
      {"critical_stemi", "急性 ST 段抬高型心肌梗死图形（疑似）"},
      {"stemi_pattern", "ST 段抬高（心梗图形）"},
      {"st_depression", "ST 段压低"},
      {"sinus_rhythm", "窦性心律"},
      {"sinus_bradycardia", "窦性心动过缓"},
      {"sinus_tachycardia", "窦性心动过速"},
      {"atrial_fibrillation", "心房颤动（疑似）"},
      {"atrial_flutter", "心房扑动（疑似）"},
      {"supraventricular_tachycardia", "窄 QRS 心动过速（室上性）"},
      {"frequent_pvcs", "频发室性早搏"},
      {"pvcs", "室性早搏"},
      {"ventricular_run", "连发室性搏动（<100 次/分）"},
      {"ventricular_tachycardia_suspected", "室性心动过速（疑似）"},
      {"first_degree_av_block", "一度房室传导阻滞"},
      {"second_degree_av_block_2to1", "2:1 房室传导阻滞（疑似）"},
      {"high_grade_av_block", "高度房室传导阻滞（疑似）"},
      {"third_degree_av_block_suspected", "三度房室传导阻滞（疑似）"},
      {"pause", "长间歇"},
      {"prolonged_qtc", "QTc 延长"},
      {"qt_uncertain", "QT 测量不可靠"},
      {"paced_rhythm", "起搏心律"},
      {"rhythm_other", "非窦性或未定心律"},
      {"rhythm_undetermined", "心律无法判定"},
      {"baseline_wander", "基线漂移"},
      {"lead_off", "导联脱落"},
      {"electrode_pop", "电极接触不良（跳变）"},
      {"busy_pause", "长间期内有波动（疑漏检心搏）"},
      {"limb_lead_reversal_suspected", "肢体导联反接（疑似）"},
      {"chest_lead_swap_suspected", "胸导联电极互换（疑似）"},
      {"mains_interference", "工频干扰"},
      {"calibration_pulse", "定标脉冲"},
      {"noise", "噪声干扰"},
      {"noise_burst", "干扰段似快速心搏（未判为室速）"},
      {"unsteady_tracing", "波形逐搏不稳定"},
      {"indistinct_qrs", "QRS 波群不清（疑为噪声）"},
      {"signal_gap", "信号中断"},
      {"limb_tremor", "肢体震颤干扰"},
      {"repeat_recording", "建议重新描记"},
      {"too_short", "记录过短"},
  };
  for (const auto& [c, name] : kNames)
    if (c == code) return name;
  return {};
}

}  // namespace teledx::ecg::detail
