// The dashboard: Vue 3 + Element Plus (zh-CN locale, English on a switch) + ECharts, all from npm (no CDN).
import { createApp } from 'vue'
import ElementPlus from 'element-plus'
import 'element-plus/dist/index.css'
import './style.css'
import App from './App.vue'
import ReportDownload from './components/ReportDownload.vue'
import { router } from './router.js'
import { setLang, lang } from './i18n.js'

setLang(lang.value)
createApp(App).use(router).use(ElementPlus).component('ReportDownload', ReportDownload).mount('#app')
