## Certificates: titles, verification (web page, bot, command line)

cert-kind-public_exam = Public-subject exam certificate (专业技术人员继续教育公需科目考试合格证书)
cert-kind-ce = Continuing-education certificate (专业技术人员继续教育合格证书)

cert-verify-title = Certificate verification
cert-verify-footer = Guangxi continuing-education assistant · certificate check
cert-verify-help = Questions: the regional HR and social security training centre, 0771-966111 (working days 9:00–12:00, 14:00–18:00).
cert-verify-too-many = Too many checks. Please try again later.

cert-status-valid = Valid certificate
cert-status-revoked = Certificate revoked
cert-status-not_found = Certificate not found
cert-status-not_genuine = This certificate cannot be verified
cert-status-valid-detail = Issued by this system; the details match its records.
cert-status-revoked-detail = Revoked on { $date } (the hours it stated changed); no longer valid.
cert-status-not_found-detail = There is no certificate with this number.
cert-status-not_genuine-detail = The link is incomplete or was not issued by this system. Scan the QR code on the certificate again.

cert-field-number = Number
cert-field-kind = Certificate
cert-field-year = Year
cert-field-name = Name
cert-field-id = ID number
cert-field-issuer = Issued by
cert-field-issued-on = Issued on
cert-field-revoked-on = Revoked on
cert-hours-public_mandatory = Public subjects, mandatory course
cert-hours-public_elective = Public subjects, electives
cert-hours-public = Public subjects, total
cert-hours-professional = Professional subjects (verified)
cert-hours-total = Total hours
cert-hours-unit = { $hours } h

cli-cert-issued = Issued: { $title }, number { $number }
cli-cert-existing = Already issued and valid: { $title }, number { $number }
cli-cert-file = PDF file: { $path }
cli-cert-url = Verification link: { $url }
cli-cert-not-eligible-public_exam = The { $year } mandatory public course and its exam are not yet passed; no certificate can be issued.
cli-cert-not-eligible-ce = { $year } is not complete yet: { $total }/{ $min } hours, { $needed } more verified professional hours needed; no certificate can be issued.
cli-cert-line = { $label }: { $value }
