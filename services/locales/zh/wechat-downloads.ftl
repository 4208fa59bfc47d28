# certificate download links (services/download_links.py, web/download.py, bot/wechat/files.py)
dl-page-title = 证书下载
dl-status-not_genuine = 链接无效
dl-status-not_genuine-detail = 这个下载链接不完整或已被改动。请回到公众号，在“我的证书”里重新获取链接。
dl-status-expired = 链接已过期
dl-status-expired-detail = 下载链接只在一段时间内有效。请回到公众号，在“我的证书”里重新获取链接。
dl-status-revoked = 证书已撤销
dl-status-revoked-detail = 证书 { $number } 已于 { $date } 撤销，不能再下载。
dl-status-not_found = 未找到证书
dl-status-not_found-detail = 这张证书已不存在。请回到公众号查看“我的证书”。
dl-status-unavailable = 暂时无法下载
dl-status-unavailable-detail = 证书文件正在生成或暂时不可用，请稍后再打开这个链接。
dl-footer = 广西专业技术人员继续教育
wechat-cert-download = ⬇️ 下载 PDF：{ $url }（{ $hours } 小时内有效）
wechat-cert-verify = 🔎 验证页面：{ $url }
wechat-file-elsewhere = 📎 { $name }：微信公众号暂时不能提供这个文件，请在 Telegram 或命令行中获取。
wechat-id-warning = ⚠️ 微信不允许公众号删除您发的消息。发送身份证号后，您可以自己长按那条消息，选择“删除”。本服务以后不会再完整显示您的身份证号。
# the ID-number question on WeChat, in place of Telegram's (which says the bot deletes the message)
wechat-ask-id = 请输入您的18位居民身份证号码。
    { wechat-id-warning }
