# certificate download links (services/download_links.py, web/download.py, bot/wechat/files.py)
dl-page-title = Certificate download
dl-status-not_genuine = Invalid link
dl-status-not_genuine-detail = This download link is incomplete or has been changed. Please go back to the account and get a new link under "My certificates".
dl-status-expired = Link expired
dl-status-expired-detail = Download links are valid for a limited time. Please go back to the account and get a new link under "My certificates".
dl-status-revoked = Certificate revoked
dl-status-revoked-detail = Certificate { $number } was revoked on { $date } and can no longer be downloaded.
dl-status-not_found = Certificate not found
dl-status-not_found-detail = This certificate no longer exists. Please look at "My certificates" in the account.
dl-status-unavailable = Not available right now
dl-status-unavailable-detail = The certificate file is being prepared or is unavailable for a moment. Please open this link again shortly.
dl-footer = Continuing education for professionals in Guangxi
wechat-cert-download = ⬇️ Download PDF: { $url } (valid for { $hours } hours)
wechat-cert-verify = 🔎 Verification page: { $url }
wechat-file-elsewhere = 📎 { $name }: the WeChat account cannot provide this file yet; please get it on Telegram or from the command line.
wechat-id-warning = ⚠️ WeChat does not let the account delete your messages. After sending your ID number you may delete it yourself: long-press the message and choose "Delete". The full number is never shown again.
# the ID-number question on WeChat, in place of Telegram's (which says the bot deletes the message)
wechat-ask-id = Please enter your 18-character resident ID number.
    { wechat-id-warning }
