## Professional-hour claims, unit review, organisers' uploads (services/claims.py,
## services/evidence.py, services/organiser_upload.py)

claim-step-year = 年度
claim-step-category = 类别
claim-step-title = 名称
claim-step-organiser = 主办单位
claim-step-dates = 日期
claim-step-hours = 学时

claim-problem-year_closed = { $year } 年度现在不能登记专业科目学时（可登记年度：{ $open }）。
claim-problem-category = 类别“{ $value }”不在本年度的学时类别中。
claim-problem-empty = 请填写此项。
claim-problem-too_long = 内容过长（最多 { $max } 个字）。
claim-problem-control = 含有不能保存的字符（{ $char }），请删去后重新输入。
claim-problem-dates_order = 开始日期不能晚于结束日期。
claim-problem-outside_year = 活动须全部在 { $year } 年度内（不能跨年登记）。
claim-problem-future = 活动尚未结束，结束后再登记。
claim-problem-hours_or_half_days = 请填写学时或半天数（二选一）。
claim-problem-no_half_days = 该类别不按半天计算，请直接填写学时。
claim-problem-hours-format = 学时应为数字，例如 4 或 2.5。
claim-problem-hours-not_half = 学时应为0.5的整数倍。
claim-problem-hours-non_positive = 学时必须大于0。
claim-problem-above_max = 学时超过该类别单条上限 { $max } 学时。

claim-hours-set-by-unit = 该类别的学时由所在单位审验时核定，您填写的学时仅供参考。
claim-half-day-rule = 培训进修类按实际参加学时计算，每半天计 { $hours } 学时。
claim-pledge = 本人承诺以上登记内容及证明材料真实有效（本人承诺属实）。

claim-status-pending = 待审验
claim-status-approved = 已审验通过
claim-status-rejected = 未通过
claim-status-withdrawn = 已撤回
claim-status-imported = 已导入
claim-flag-duplicate = 疑似与已导入的学时重复，请审验人核对。
claim-flag-verification-closed = { $year } 年度审验已于 { $deadline } 截止，此登记未被审验，不计入学时。
claim-flag-unconfirmed-member = 此人自行选择了本单位，尚未确认为本单位人员。

claim-refused-pledge = 请先确认“本人承诺属实”。
claim-refused-invalid = 登记内容有误，请修改后再提交。
claim-refused-no_person = 请先绑定身份信息。
claim-refused-no_unit = 请先选择所在单位，单位审验后学时才能计入。
claim-refused-evidence_count = 请上传 { $min } 至 { $max } 份证明材料。
claim-refused-evidence_missing = 证明材料已失效，请重新上传。
claim-refused-not_found = 未找到该登记。
claim-refused-not_pending = 该登记已不是待审验状态，不能撤回。
claim-refused-not_reviewer = 您不是单位审验人，或权限已被撤销。
claim-refused-other_unit = 这不是您所在单位人员的登记，您无权审验。
claim-refused-own_claim = 不能审验本人的登记。
claim-refused-verification_closed = { $year } 年度专业科目审验已于 { $deadline } 截止，不能再审验。
claim-refused-reason_required = 不通过须说明理由：请选择常见理由或输入理由。
claim-refused-reason_too_long = 理由过长（最多 { $max } 个字）。
claim-refused-hours = 核定学时应为0.5的整数倍且大于0。
claim-refused-above_max = 核定学时超过该类别单条上限 { $max } 学时。
claim-refused-member_unconfirmed = 请先确认此人是本单位人员，再审验通过其登记。
claim-refused-duplicate = 此登记疑似与已导入的学时重复；如确为不同活动，请选择“仍然通过”。
claim-refused-not_admin = 只有管理员可以重新打开审验结果。
claim-refused-not_decided = 该登记尚未审验，无需重新打开。
claim-refused-busy = 操作繁忙，请稍后重试。

claim-reason-blurry_evidence = 证明材料不清晰
claim-reason-above_cap = 学时超过规定上限
claim-reason-no_category = 活动不属于任何学时类别
claim-reason-outside_year = 活动不在登记年度内
claim-reason-duplicate_import = 已由培训机构导入，重复登记
claim-reason-not_professional = 不属于本人专业领域的学习

claim-already-decided = 该登记已由 { $name } 于 { $at } 审验（{ $status }），未作更改。
claim-already-decided-unknown = 该登记已被审验（{ $status }），未作更改。
claim-told-approved = 您登记的“{ $title }”已审验通过，计 { $hours } 学时。
claim-told-rejected = 您登记的“{ $title }”未通过审验。理由：{ $reason }
claim-told-reopened = 您登记的“{ $title }”已重新交由单位审验。
claim-told-duplicate-reopened = 您登记的“{ $title }”与培训机构导入的学时疑似重复，已交由单位重新核对，以免重复计算。
claim-member-confirmed = { $name } 已确认为本单位人员。
claim-member-told-confirmed = 单位已确认您为本单位人员。
review-digest = 有 { $count } 条专业科目学时登记待审验（最早提交于 { $oldest }）。
review-digest-duplicates = 其中 { $count } 条疑似与导入学时重复。
review-digest-members = 另有 { $count } 人申请加入本单位，待确认。

evidence-refused-empty = 文件为空，请重新上传。
evidence-refused-too_large = 文件过大（最大 { $max_mb } MB）。
evidence-refused-type = 只接受 JPG、PNG、WebP 图片或 PDF 文件。
evidence-refused-not_found = 未找到该证明材料。
evidence-refused-busy = 操作繁忙，请稍后重试。

upload-refused-not_organiser = 您不是培训组织单位的导入人员，或权限已被撤销。
upload-refused-file_changed = 文件与预览时不一致，请重新上传。
upload-preview = 预览：共 { $rows } 行，{ $people } 人（其中新人员 { $new } 人），合计 { $hours } 学时；已导入过 { $already } 行；与本人登记疑似重复 { $duplicates } 行。
upload-preview-bad = 文件有 { $count } 行有误，确认也不会导入任何数据：
upload-done = 已导入：新增 { $added } 条，已存在 { $unchanged } 条。
upload-nothing-new = 这些记录已全部导入过，本次未新增。
upload-told = 培训组织单位“{ $source }”为您导入了专业科目学时。
upload-told-records = 培训组织单位“{ $source }”为您导入了 { $count } 条学时记录，共 { $hours } 学时：
    { $items }
