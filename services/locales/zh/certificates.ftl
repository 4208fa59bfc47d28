## Certificates: titles, verification (web page, bot, command line)

cert-kind-public_exam = 专业技术人员继续教育公需科目考试合格证书
cert-kind-ce = 专业技术人员继续教育合格证书

cert-verify-title = 继续教育证书验证
cert-verify-footer = 广西专业技术人员继续教育助手 · 证书真伪查验
cert-verify-help = 如有疑问，请联系自治区人力资源和社会保障培训中心：0771-966111（工作日 9:00–12:00，14:00–18:00）。
cert-verify-too-many = 查询过于频繁，请稍后再试。

cert-status-valid = 证书有效
cert-status-revoked = 证书已撤销
cert-status-not_found = 未找到该证书
cert-status-not_genuine = 无法验证此证书
cert-status-valid-detail = 该证书由本系统签发，信息与系统记录一致。
cert-status-revoked-detail = 该证书已于 { $date } 撤销（证书所依据的学时发生变化），不再有效。
cert-status-not_found-detail = 系统中没有这个编号的证书。
cert-status-not_genuine-detail = 链接不完整或不是本系统签发。请扫描证书上的二维码重新查验。

cert-field-number = 证书编号
cert-field-kind = 证书名称
cert-field-year = 年度
cert-field-name = 姓名
cert-field-id = 身份证号
cert-field-issuer = 发证机关
cert-field-issued-on = 发证日期
cert-field-revoked-on = 撤销日期
cert-hours-public_mandatory = 公需科目必修课
cert-hours-public_elective = 公需科目选修课
cert-hours-public = 公需科目合计
cert-hours-professional = 专业科目（已审验）
cert-hours-total = 学时合计
cert-hours-unit = { $hours } 学时

cli-cert-issued = 已签发：{ $title }，编号 { $number }
cli-cert-existing = 已有有效证书：{ $title }，编号 { $number }
cli-cert-file = PDF 文件：{ $path }
cli-cert-url = 验证链接：{ $url }
cli-cert-not-eligible-public_exam = { $year } 年度公需科目必修课尚未完成并通过考试，暂不能签发。
cli-cert-not-eligible-ce = { $year } 年度尚未达到要求：合计 { $total }/{ $min } 学时，还需已审验的专业科目 { $needed } 学时，暂不能签发。
cli-cert-line = { $label }：{ $value }
