# WeChat adapter (bot/wechat/webhook.py, bot/wechat/screens.py)
wechat-choose = 回复数字选择（{ $numbers }）：
wechat-stale-number = 这个数字不在当前的选项里（可能是之前消息里的）。请按下面的选项回复：
wechat-processing = 已收到，正在处理…
wechat-unsupported = 我能读懂文字、数字和照片；语音、视频、位置和链接暂时读不了。
wechat-cannot-delete = 微信不允许公众号删除您发的消息。为保护您的身份证号，请长按刚才那条消息，选择“删除”。
wechat-deferred = { $text }
wechat-no-contact = （微信里无法分享手机号码：这一步请在 Telegram 中完成，或按下面的选项继续。）
wechat-number-as-text = 若要输入的答案本身就是 1 到 { $count } 之间的数字，请带上单位，例如“2学时”。
