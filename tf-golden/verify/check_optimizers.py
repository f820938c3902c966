# Independent cross-check of optimizers.json (optional; needs numpy): re-implements every optimizer's
# update from /work/shared/reference/tf-optimizers.md in float64 numpy (hyperparameters float32-rounded
# as TF 1 does; beta powers as float32) and reports the worst |tf - numpy| / (1 + |tf|) per case.
#   python3 tf-golden/verify/check_optimizers.py [optimizers.json]
import json, numpy as np, sys
import os
HERE=os.path.dirname(os.path.abspath(__file__))
D=json.load(open(sys.argv[1] if len(sys.argv)>1 else os.path.join(HERE,'../../tests/src/test/resources/tf-golden/optimizers.json')))
f32=np.float32
def hp(c,k,d=None):
    v=c['hyper'].get(k,d)
    if isinstance(v,bool): return v
    return float(np.float32(v))  # TF1: python float -> f32 tensor -> cast
def dedup(idx,g):
    u=[];pos=[]
    for i in idx:
        if i not in u: u.append(i)
        pos.append(u.index(i))
    s=np.zeros((len(u),)+g.shape[1:])
    for p,row in zip(pos,g): s[p]+=row
    return u,s
def run(c):
    shape=c['var_init']['shape']; var=np.array(c['var_init']['data'],dtype=np.float64).reshape(shape)
    slots={k:np.full(shape,float(v)) for k,v in c['slot_init'].items()}
    ns={k:float(np.float32(v)) for k,v in c.get('nonslot_init',{}).items()}
    gs=c.get('global_step_init',0)
    o=c['optimizer']; H=lambda k,d=None: hp(c,k,d)
    worst=0
    for st in c['steps']:
        g=np.array(st['grad']['data'],dtype=np.float64).reshape(st['grad']['shape'])
        sparse='indices' in st
        if sparse:
            idx=st['indices']
            if o=='GradientDescentOptimizer':
                for i,row in zip(idx,g): var[i]-=row*H('learning_rate')
                rows=None
            else:
                rows,g=dedup(idx,g)
        else:
            rows=list(range(shape[0]))
        def upd(f):
            for r,gr in zip(rows,g): f(r,gr)
        if o=='GradientDescentOptimizer' and not sparse: var-=H('learning_rate')*g
        elif o in('MomentumOptimizer','MomentumWOptimizer'):
            lr,mu,nes=H('learning_rate'),H('momentum'),H('use_nesterov',False)
            if o=='MomentumWOptimizer':
                wd=c['hyper']['weight_decay']
                for r in rows: var[r]-=wd*var[r]
            a=slots['momentum']
            def f(r,gr):
                a[r]=a[r]*mu+gr
                var[r]-= (gr*lr+a[r]*mu*lr) if nes else a[r]*lr
            upd(f)
        elif o=='AdagradOptimizer':
            a=slots['accumulator']; lr=H('learning_rate')
            def f(r,gr): a[r]+=gr*gr; var[r]-=gr*lr/np.sqrt(a[r])
            upd(f)
        elif o=='AdagradDAOptimizer':
            ga=slots['gradient_accumulator']; gg=slots['gradient_squared_accumulator']
            lr,l1,l2=H('learning_rate'),H('l1_regularization_strength'),H('l2_regularization_strength'); T=gs+1
            def f(r,gr):
                ga[r]+=gr; gg[r]+=gr*gr
                if l1>0: var[r]=-lr*np.sign(ga[r])*np.maximum(np.abs(ga[r])-T*l1,0)/(l2*T*lr+np.sqrt(gg[r]))
                else: var[r]=-lr*ga[r]/(l2*T*lr+np.sqrt(gg[r]))
            upd(f)
        elif o in ('AdamOptimizer','AdamWOptimizer','LazyAdamOptimizer','NadamOptimizer','AdamaxOptimizer'):
            lr,b1,b2,eps=H('learning_rate'),H('beta1'),H('beta2'),H('epsilon')
            b1p,b2p=ns['beta1_power'],ns['beta2_power']
            m,v=slots['m'],slots['v']
            if o=='AdamWOptimizer':
                wd=c['hyper']['weight_decay']
                for r in rows: var[r]-=wd*var[r]
            alpha=lr*np.sqrt(1-b2p)/(1-b1p)
            if o=='AdamaxOptimizer':
                def f(r,gr):
                    m[r]=b1*m[r]+(1-b1)*gr; v[r]=np.maximum(b2*v[r],np.abs(gr)); var[r]-=lr/(1-b1p)*m[r]/(v[r]+eps)
                upd(f)
            elif o=='LazyAdamOptimizer' or not sparse:
                nes = o=='NadamOptimizer'
                def f(r,gr):
                    m[r]=b1*m[r]+(1-b1)*gr; v[r]=b2*v[r]+(1-b2)*gr*gr
                    mm = (gr*(1-b1)+b1*m[r]) if nes else m[r]
                    var[r]-=alpha*mm/(np.sqrt(v[r])+eps)
                upd(f)
            else:  # non-lazy sparse Adam / Nadam
                m*=b1; v*=b2
                for r,gr in zip(rows,g): m[r]+=gr*(1-b1); v[r]+=gr*gr*(1-b2)
                if o=='NadamOptimizer':
                    for r,gr in zip(rows,g): var[r]-=alpha*(gr*(1-b1)+b1*m[r])/(np.sqrt(v[r])+eps)
                else: var-=alpha*m/(np.sqrt(v)+eps)
        elif o=='AdadeltaOptimizer':
            lr,rho,eps=H('learning_rate'),H('rho'),H('epsilon'); a=slots['accum']; au=slots['accum_update']
            def f(r,gr):
                a[r]=a[r]*rho+gr*gr*(1-rho); u=np.sqrt(au[r]+eps)/np.sqrt(a[r]+eps)*gr; var[r]-=u*lr; au[r]=au[r]*rho+u*u*(1-rho)
            upd(f)
        elif o=='RMSPropOptimizer':
            lr,rho,mu,eps,cen=H('learning_rate'),H('decay'),H('momentum'),H('epsilon'),H('centered',False)
            ms=slots['rms']; mom=slots['momentum']; mg=slots.get('mg')
            def f(r,gr):
                ms[r]=ms[r]*rho+gr*gr*(1-rho); d=ms[r]+eps
                if cen: mg[r]=mg[r]*rho+gr*(1-rho); d=d-mg[r]**2
                mom[r]=mom[r]*mu+gr*lr/np.sqrt(d); var[r]-=mom[r]
            upd(f)
        elif o=='FtrlOptimizer':
            lr,p,l1,l2,sh=H('learning_rate'),H('learning_rate_power'),H('l1_regularization_strength'),H('l2_regularization_strength'),H('l2_shrinkage_regularization_strength',0.0)
            a=slots['accum']; lin=slots['linear']
            def f(r,gr):
                gs_=gr+2*sh*var[r]; na=a[r]+gr*gr
                sigma=(na**(-p)-a[r]**(-p))/lr
                lin[r]+=gs_-sigma*var[r]
                q=na**(-p)/lr+2*l2
                var[r]=np.where(np.abs(lin[r])>l1,(np.sign(lin[r])*l1-lin[r])/q,0.0)
                a[r]=na
            upd(f)
        elif o=='ProximalGradientDescentOptimizer':
            lr,l1,l2=H('learning_rate'),H('l1_regularization_strength'),H('l2_regularization_strength')
            def f(r,gr):
                pr=var[r]-gr*lr
                var[r]= np.sign(pr)*np.maximum(np.abs(pr)-lr*l1,0)/(1+l2*lr) if l1>0 else pr/(1+l2*lr)
            upd(f)
        elif o=='ProximalAdagradOptimizer':
            lr,l1,l2=H('learning_rate'),H('l1_regularization_strength'),H('l2_regularization_strength'); a=slots['accumulator']
            def f(r,gr):
                a[r]+=gr*gr; eta=lr/np.sqrt(a[r]); pr=var[r]-gr*eta
                var[r]= np.sign(pr)*np.maximum(np.abs(pr)-eta*l1,0)/(1+l2*eta) if l1>0 else pr/(1+l2*eta)
            upd(f)
        elif o=='GradientDescentOptimizer': pass
        else: raise Exception(o)
        if ns:
            ns['beta1_power']=float(f32(f32(ns['beta1_power'])*f32(c['hyper']['beta1'])))
            ns['beta2_power']=float(f32(f32(ns['beta2_power'])*f32(c['hyper']['beta2'])))
        gs+=1
        e=st['expected']
        def cmp(name,mine,theirs):
            nonlocal worst
            t=np.array(theirs,dtype=np.float64); d=np.max(np.abs(mine.ravel()-t)/(1+np.abs(t)))
            worst=max(worst,d)
        cmp('var',var,e['var'])
        for k,vv in e['slots'].items(): cmp(k,slots[k],vv)
        for k,vv in e.get("nonslot",{}).items(): cmp(k,np.array(ns[k]),[float(np.float32(vv))])
        if 'global_step' in e: assert e['global_step']==gs, (c['name'], e['global_step'], gs)
    return worst
bad=0
for c in D['cases']:
    w=run(c)
    lim = 1e-5 if c['dtype']=='f32' else 1e-13
    flag = 'OK' if w<=lim else 'MISMATCH'
    if w>lim: bad+=1
    print(f"{c['name']:40s} {c['dtype']} worst={w:.2e} {flag}")
print('mismatches:',bad,'of',len(D['cases']))
sys.exit(1 if bad else 0)
