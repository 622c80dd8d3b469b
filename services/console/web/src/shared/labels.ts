// How the contracts' enum names and codes read in the console (the terms of the source documents, as
// the jingwu CLI prints them).

const table = (entries: Record<string, string>) => (value: string | undefined) =>
  (value && entries[value]) || value || "—";

export const roomKind = table({
  ROOM_KIND_URBAN_HOME_STYLE: "居家式社区警务室",
  ROOM_KIND_URBAN_ONE_ZONE_ONE_OFFICER: "一区一警式社区警务室",
  ROOM_KIND_RURAL_LINKED_CLUSTER: "联动包片式农村警务室",
  ROOM_KIND_KEY_VILLAGE: "重点村警务室",
  ROOM_KIND_VILLAGE_CONTACT_POINT: "警务联系点",
  ROOM_KIND_AUXILIARY_WORKROOM: "辅警工作室",
  ROOM_KIND_MOBILE: "流动警务室",
});

export const ROOM_KIND_COLOURS: Record<string, string> = {
  ROOM_KIND_URBAN_HOME_STYLE: "#1f5fbf",
  ROOM_KIND_URBAN_ONE_ZONE_ONE_OFFICER: "#2b8cbe",
  ROOM_KIND_RURAL_LINKED_CLUSTER: "#238b45",
  ROOM_KIND_KEY_VILLAGE: "#8c2d04",
  ROOM_KIND_VILLAGE_CONTACT_POINT: "#6a51a3",
  ROOM_KIND_AUXILIARY_WORKROOM: "#525252",
  ROOM_KIND_MOBILE: "#d94801",
};

export const roomStatus = table({
  ROOM_STATUS_PLANNED: "筹建",
  ROOM_STATUS_ACTIVE: "运行",
  ROOM_STATUS_MERGED: "已合并",
  ROOM_STATUS_CLOSED: "已撤销",
});

export const findingKind = table({
  STAFFING_FINDING_KIND_ROOM_UNDERSTAFFED: "警务室人员不足",
  STAFFING_FINDING_KIND_ROOM_OFFICER_NOT_FULL_TIME: "专职不专",
  STAFFING_FINDING_KIND_POPULATION_RATIO_EXCEEDED: "警力人口比超标",
  STAFFING_FINDING_KIND_STATION_HEADCOUNT_LOW: "派出所警力不足",
  STAFFING_FINDING_KIND_STATION_FORCE_SHARE_LOW: "所队警力占比低",
  STAFFING_FINDING_KIND_BLANK_VILLAGE: "空白村",
  STAFFING_FINDING_KIND_VILLAGE_WITHOUT_AUXILIARY: "缺驻村辅警",
  STAFFING_FINDING_KIND_AUXILIARY_ROTATION_DUE: "辅警应轮岗",
  STAFFING_FINDING_KIND_VILLAGE_DAYS_SHORT: "驻村天数不足",
  STAFFING_FINDING_KIND_COMMUNITY_HOURS_SHORT: "社区工作时长不足",
});

export const findingStatus = table({
  STAFFING_FINDING_STATUS_OPEN: "未整改",
  STAFFING_FINDING_STATUS_RESOLVED: "已整改",
});

export const coverageFinding = table({
  must_build_village_without_room: "应建未建警务室的村",
  room_without_officer: "无民警的警务室",
});

export const mustBuildReason = table({
  security_complex_central: "治安复杂的中心村",
  former_township_seat: "撤并乡镇驻地",
  remote_from_station: "远离派出所",
});

export const rotaGapKind = table({
  uncovered: "无人值班",
  no_community_officer: "无社区民警值班",
});

export const officerRole = table({
  OFFICER_ROLE_POLICE: "民警",
  OFFICER_ROLE_AUXILIARY: "辅警",
  OFFICER_ROLE_COMMUNITY_OFFICER: "社区民警",
  OFFICER_ROLE_VILLAGE_LIAISON_OFFICER: "包村民警",
  OFFICER_ROLE_RESIDENT_AUXILIARY: "驻村辅警",
  OFFICER_ROLE_LINKED_OFFICER: "1+X挂钩民警",
  OFFICER_ROLE_MASS_PREVENTION_MEMBER: "群防群治队员",
  OFFICER_ROLE_INFORMATION_COLLECTOR: "信息员",
  OFFICER_ROLE_SECURITY_CENTRAL_HOUSEHOLD: "治安中心户",
});

export const grade = table({
  ASSESSMENT_GRADE_EXCELLENT: "优秀",
  ASSESSMENT_GRADE_COMPETENT: "称职",
  ASSESSMENT_GRADE_BASICALLY_COMPETENT: "基本称职",
  ASSESSMENT_GRADE_INCOMPETENT: "不称职",
  ASSESSMENT_GRADE_UNSPECIFIED: "未评定",
});

export const assessmentStatus = table({
  ASSESSMENT_STATUS_DRAFT: "草稿",
  ASSESSMENT_STATUS_PUBLISHED: "已发布",
});

export const indicator = table({
  village_visits: "走访入户",
  village_entries: "驻村天数",
  community_hours: "社区工作时长",
  duty_performance: "巡逻履职",
  data_maintained: "基础信息维护",
  information_used: "信息采集使用",
  resident_satisfaction: "群众满意度",
  log_audit: "日志审核",
  conduct: "纪律作风",
});

export const ratingSource = table({
  RATING_SOURCE_SELF: "自评",
  RATING_SOURCE_PEER: "互评",
  RATING_SOURCE_LEADER: "领导评价",
  RATING_SOURCE_RESIDENT: "群众评价",
});

export const role = table({
  officer: "民警",
  supervisor: "所领导",
  district_admin: "分局管理员",
  pii_reader: "个人信息查阅",
  service: "系统服务",
  auditor: "审计员",
});

export const noticeKind = table({
  NOTICE_KIND_WEEKLY_SITUATION: "警情通报",
  NOTICE_KIND_BULLETIN: "警务公告",
  NOTICE_KIND_SERVICE: "服务公告",
  NOTICE_KIND_TIP: "警务提示",
  weekly_situation: "警情通报",
  bulletin: "警务公告",
  service: "服务公告",
  tip: "警务提示",
});

export const noticeStatus = table({ NOTICE_STATUS_DRAFT: "草稿", NOTICE_STATUS_PUBLISHED: "已发布" });
export const meetingStatus = table({ MEETING_STATUS_SCHEDULED: "待召开", MEETING_STATUS_HELD: "已召开" });
export const matterStatus = table({
  MATTER_STATUS_OPEN: "办理中",
  MATTER_STATUS_ANSWERED: "已回告",
  booked: "已预约",
  open: "办理中",
  answered: "已回告",
});
export const answerMethod = table({
  ANSWER_METHOD_PHONE: "电话",
  ANSWER_METHOD_VISIT: "上门",
  phone: "电话",
  visit: "上门",
});
export const deviceKind = table({
  DEVICE_KIND_VEHICLE_TERMINAL: "车载终端",
  DEVICE_KIND_HANDHELD: "警务通",
});
export const placeKind = table({
  PLACE_KIND_KEY_UNIT: "重点单位",
  PLACE_KIND_ENTERPRISE: "企业",
  PLACE_KIND_RENTAL_HOUSE: "出租屋",
  PLACE_KIND_COMPLEX_PUBLIC_PLACE: "复杂公共场所",
});
export const ringLevel = table({
  RING_LEVEL_CORE: "核心圈",
  RING_LEVEL_CENTRE: "中心圈",
  RING_LEVEL_INNER: "内圈",
  RING_LEVEL_OUTER: "外圈",
});

export interface LocalDate {
  year: number;
  month: number;
  day: number;
}

export function localDate(d: LocalDate | undefined | null): string {
  if (!d || !d.year) return "";
  return `${d.year}-${String(d.month).padStart(2, "0")}-${String(d.day).padStart(2, "0")}`;
}

const TIME = new Intl.DateTimeFormat("zh-CN", {
  timeZone: "Asia/Shanghai",
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  hour12: false,
});

export function time(value: string | undefined | null): string {
  if (!value) return "";
  const at = new Date(value);
  return Number.isNaN(at.getTime()) ? value : TIME.format(at);
}

/** "3600s" (proto Duration JSON) → "1小时0分". */
export function duration(value: string | undefined | null): string {
  if (!value) return "0分";
  const seconds = Number.parseFloat(value);
  if (!Number.isFinite(seconds)) return value;
  const h = Math.floor(seconds / 3600);
  const m = Math.round((seconds % 3600) / 60);
  return h ? `${h}小时${m}分` : `${m}分`;
}

export function percent(ratio: number): string {
  return `${(ratio * 100).toFixed(0)}%`;
}

/** Today in the district's calendar (China civil time), YYYY-MM-DD. */
export function today(offsetDays = 0): string {
  const at = new Date(Date.now() + offsetDays * 86400_000);
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai" }).format(at);
  return parts;
}
